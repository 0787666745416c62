#!/usr/bin/env bash
# The GPU checks of issue 18 in one invocation (under 8 minutes on one recent NVIDIA GPU):
# a smoke build of every study with device: cuda, selectivity's ResNet-50 throughput with
# and without the regulariser's hooks, the race trainer's direct method on the GPU against
# the CPU; one summary (gpu_summary.json + gpu_summary.txt) in the output directory.
# Without a GPU (or with --dry) the same steps run at smoke size on the CPU.
#
#   bench/gpu.sh [OUT_DIR] [--dry] [--studies wtm race ...] [--budget SECONDS]
#
# OUT_DIR defaults to $OUT (the device tool's result folder), else ./gpu_out.
# The GPU machines have torch but neither network nor Snakemake: run bench/gpu_wheels.sh
# here first (wheels into .whl/); this script installs them with pip --no-index --target
# when the packages are missing. PYTHON, WHEELS and SITE override the interpreter
# (python3), the wheel folder (.whl) and the install target (/tmp/site).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
OUT_DIR=${OUT:-$REPO/gpu_out}
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    OUT_DIR=$1
    shift
fi
PY=${PYTHON:-python3}
WHEELS=${WHEELS:-$REPO/.whl}
SITE=${SITE:-/tmp/site}
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
if ! "$PY" -c "import snakemake, h5netcdf, jsonschema" 2>/dev/null; then
    if ! ls "$WHEELS"/*.whl >/dev/null 2>&1; then
        echo "snakemake, h5netcdf or jsonschema is missing and $WHEELS holds no wheels:" \
            "run bench/gpu_wheels.sh on a machine with PyPI first" >&2
        exit 2
    fi
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" "$WHEELS"/*.whl || exit 2
    export PYTHONPATH="$SITE:$PYTHONPATH"
fi
export PYTHONUNBUFFERED=1
exec "$PY" "$REPO/bench/gpu_bench.py" --out "$OUT_DIR" "$@"
