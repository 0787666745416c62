"""Per-job set-up: threads, denormals, device choice (CUDA when present), logging.

torch is imported inside the functions that need it: the workflow imports this
module while parsing, and figure jobs never need torch.
"""

import logging
import os
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent


def configure_torch(threads):
    """One process per job: pin its threads and flush denormals.

    Tiny weights (std 1e-5 init) produce denormal floats that made CPU runs up to 5x
    slower; flushing them to zero changes nothing measurable in the results.
    """
    import torch

    torch.set_num_threads(max(1, int(threads)))
    torch.set_flush_denormal(True)


_CLAIMED_GPU = []  # open lock files, held for the life of the job's process
DEVICES = ("auto", "cpu", "cuda")


def plan_device(preference="auto"):
    """The device a build's jobs run on, resolved once when the workflow is parsed.

    ``auto`` becomes ``cuda`` when this machine shows an NVIDIA GPU to its processes (a
    device node or the driver's GPU list, and ``CUDA_VISIBLE_DEVICES`` not hiding every
    device), else ``cpu``. The plans resolve the settings that only take effect on one
    device from it (mixed precision, a trainer's method), so ids hash what the
    jobs compute; the jobs then get the resolved device (``pick_device``), and a job
    planned for ``cuda`` that sees none fails instead of computing something else.
    Read without importing torch (parsing the workflow stays light). On a cluster whose
    submit node has no GPU, set ``device: cuda`` for GPU jobs (docs: cluster).
    """
    if preference not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {preference!r}")
    if preference != "auto":
        return preference
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return "cpu"
    nodes = list(Path("/dev").glob("nvidia[0-9]*"))
    driver = Path("/proc/driver/nvidia/gpus")
    return "cuda" if nodes or (driver.is_dir() and any(driver.iterdir())) else "cpu"


def pick_device(preference="auto"):
    """'auto' takes CUDA when the job can see a GPU, else the CPU; 'cuda' requires one.

    Locally Snakemake sets no CUDA_VISIBLE_DEVICES for ``gpu`` resources, so on a box
    with several GPUs every job would pile onto GPU 0: a job claims a free device with
    a lock file instead. Under SLURM (CUDA_VISIBLE_DEVICES set) the job uses what it
    was given.
    """
    import torch

    if preference not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {preference!r}")
    if preference == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        n = torch.cuda.device_count()
        if n > 1 and "CUDA_VISIBLE_DEVICES" not in os.environ:
            return torch.device("cuda", claim_gpu(n))
        return torch.device("cuda")
    if preference == "cuda":
        raise RuntimeError("device: cuda was asked for but no CUDA device is visible to this job")
    return torch.device("cpu")


def claim_gpu(n_devices, lock_dir=None):
    """Index of a GPU no other trainscope job on this machine holds (flock per device).

    When all are held, share the one picked by process id (jobs still run, just not
    spread).
    """
    import fcntl
    import tempfile

    lock_dir = Path(lock_dir or os.environ.get("TRAINSCOPE_GPU_LOCK_DIR", tempfile.gettempdir()))
    for index in range(n_devices):
        fh = open(lock_dir / f"trainscope-gpu-{index}.lock", "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            continue
        _CLAIMED_GPU.append(fh)
        return index
    return os.getpid() % n_devices


def code_version():
    """Package version plus git commit (and '-dirty') when run from a checkout."""
    from . import __version__

    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=PACKAGE_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0 and out.stdout.strip():
            return f"{__version__}+{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return __version__


def setup_logging(log_path=None):
    handlers = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    # our loggers at INFO; libraries (matplotlib's font subsetting...) only warnings
    logging.getLogger("workflow_scripts").setLevel(os.environ.get("TRAINSCOPE_LOGLEVEL", "INFO"))
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        handlers=handlers,
        force=True,
    )
