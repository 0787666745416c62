#!/usr/bin/env bash
# Download, on a machine with PyPI, the wheels bench/gpu.sh needs on the GPU machine:
# every package the workflow runs on (snakemake, h5netcdf, jsonschema, ... and their
# requirements, transitively, as installed in the project's .venv) that the GPU image
# lacks, at the .venv's versions, for CPython $PYVER on x86_64 Linux, into .whl/ at the
# repository root (ignored by git through .git/info/exclude; never commit wheels).
#
#   bench/gpu_wheels.sh [PYVER]       # default 3.12 (the GPU image's Python)
#   WHEEL_DIR=/tmp/w311 bench/gpu_wheels.sh 3.11   # elsewhere (tests of the install path)
#
# The GPU image's packages (/work/.library/device/KINDS.md, "Python packages already
# there", read on 2026-11-17) are listed in bench/gpu_image_packages.txt; the GPU
# machine has no network, so anything missing from .whl/ fails there at import time.
# bench/gpu.sh installs them with pip --no-index --no-deps --target /tmp/site.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYVER=${1:-3.12}
VENV_PY=${VENV_PY:-$REPO/.venv/bin/python}
DEST=${WHEEL_DIR:-$REPO/.whl}
cd "$REPO"
grep -qxF '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >>.git/info/exclude
mkdir -p "$DEST"

# name==version of every missing distribution (markers evaluated for Python $PYVER)
mapfile -t WANTED < <("$VENV_PY" - "$PYVER" "$REPO/bench/gpu_image_packages.txt" <<'EOF'
import re
import sys
from importlib.metadata import PackageNotFoundError, distribution

from packaging.requirements import Requirement

pyver, image_file = sys.argv[1], sys.argv[2]
ROOTS = ["snakemake", "h5netcdf", "jsonschema", "xarray", "h5py", "seaborn", "matplotlib",
         "scipy", "pyyaml", "tqdm", "numpy"]  # pyproject.toml's dependencies but torch/slurm
env = {"python_version": pyver, "python_full_version": pyver + ".0", "sys_platform": "linux",
       "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
       "implementation_name": "cpython", "platform_python_implementation": "CPython",
       "extra": ""}


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


names = [line.split("#")[0].strip() for line in open(image_file)]
image = {norm(name) for name in names if name}
seen, todo, missing = set(), list(ROOTS), []
while todo:
    name = norm(todo.pop())
    if name in seen:
        continue
    seen.add(name)
    try:
        dist = distribution(name)
    except PackageNotFoundError:
        sys.exit(f"{name} is required but not installed in the project's .venv")
    if name in image:
        continue  # the image's own packages come with what they need
    missing.append(f"{dist.metadata['Name']}=={dist.version}")
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate(env):
            todo.append(req.name)
print("\n".join(sorted(missing, key=str.lower)))
EOF
)
echo "${#WANTED[@]} distributions missing from the GPU image: ${WANTED[*]}"

PLATFORMS=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 \
    manylinux_2_5_x86_64 manylinux1_x86_64; do
    PLATFORMS+=(--platform "$p")
done
for want in "${WANTED[@]}"; do
    if ! "$VENV_PY" -m pip download --quiet --no-deps --only-binary=:all: \
        --python-version "$PYVER" --implementation cp "${PLATFORMS[@]}" -d "$DEST" "$want" \
        2>/dev/null; then
        # a source-only release: build its wheel here; only a pure-Python one (py3-none-any)
        # installs on the other machine
        "$VENV_PY" -m pip wheel --quiet --no-deps --no-binary=:all: -w "$DEST" "$want"
        name=$(echo "${want%%==*}" | tr '.-' '__')
        if ! ls "$DEST"/*.whl | grep -i "/${name}-${want##*==}-.*-none-any.whl" >/dev/null; then
            echo "no wheel of $want for CPython $PYVER x86_64, and it is not pure Python" >&2
            exit 1
        fi
        echo "built $want from its source release (pure Python)"
    fi
done
# one version of each: a stale wheel of another version stops the whole install there
"$VENV_PY" - "$DEST" "${WANTED[@]}" <<'EOF'
import re
import sys
from pathlib import Path

dest, wanted = Path(sys.argv[1]), sys.argv[2:]
keep = {re.sub(r"[-_.]+", "_", w.split("==")[0]).lower(): w.split("==")[1] for w in wanted}
for wheel in sorted(dest.glob("*.whl")):
    name, version = wheel.name.split("-")[:2]
    if keep.get(name.lower()) != version:
        print(f"removing {wheel.name} (not wanted at this version)")
        wheel.unlink()
EOF
echo "$(ls "$DEST"/*.whl | wc -l) wheels, $(du -sh "$DEST" | cut -f1) in $DEST"
