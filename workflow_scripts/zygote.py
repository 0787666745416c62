"""A warm interpreter that forks local jobs, so that each does not import torch again.

Why: every Snakemake job is a fresh Python process, and a torch job spends 1.1-1.3 s of
an idle core (about 2 s on a busy one) importing torch, xarray and scipy before its
first useful operation, ~300 times in the default build (race alone has 108 short
jobs). Snakemake has no warm-worker executor for local runs, and the standard library's
``multiprocessing`` fork server belongs to the process that starts it, so it cannot
outlive one job; hence this module and ``zygote_server``, written by hand.

How: the first job of a local run starts a server (``zygote_server.py``, run as a
script) that imports the heavy third-party modules (``PRELOAD``; of this package only
these two modules, so a job always runs the study code on disk) and waits on a Unix
socket. A job (``workflow_scripts/run.py``) sends it its ``snakemake`` object, working
directory, environment and its stdin/stdout/stderr; the server forks a
child that takes all of them over, runs the job as ``run.py`` would, and reports its
exit status. The job's process waits for it, forwards SIGTERM/SIGINT/SIGHUP to the
child's process group, and the child kills itself when the job's process dies (a
SIGKILL included), so killing a job still kills its work. The server exits after
``IDLE_S`` seconds without a job. Anything that fails before the child starts (a server
that cannot start, a socket that vanished) makes the job run in its own process.

Linux only, and off where a warm process cannot help: under SLURM (``SLURM_JOB_ID``:
each job is its own allocation) and with ``TRAINSCOPE_ZYGOTE=0``. With the server on,
Snakemake's ``benchmark`` files still time the job (``s``), but their memory and CPU
columns describe the job's thin process, not the forked child: set
``TRAINSCOPE_ZYGOTE=0`` to profile a job's memory.
"""

import fcntl
import hashlib
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# what the server imports before it forks: the third-party modules the jobs import
# (measured: torch 1.1-1.3 s, xarray + h5netcdf 0.35 s, scipy 0.3 s on an idle core).
# matplotlib stays out: it reads its backend and config from the environment at import.
PRELOAD = (
    "numpy",
    "torch",
    "torch.nn",
    "torch.optim",
    "torchvision",
    "scipy.stats",
    "scipy.sparse.csgraph",
    "pandas",
    "xarray",
    "h5netcdf",
    "h5py",
    "snakemake.script",
)
IDLE_S = 60  # the server exits after this long without a job
START_TIMEOUT_S = 60  # how long a job waits for a server it started
ENV_SWITCH = "TRAINSCOPE_ZYGOTE"
SERVER = Path(__file__).with_name("zygote_server.py")
HEADER = struct.Struct("!Q")
STATUS = struct.Struct("!i")
_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def enabled(environ=os.environ):
    """Whether a job should go through the warm server: local runs on Linux (macOS's
    system libraries are not safe to use in a forked child, hence Python's own default of
    spawning there)."""
    if environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return sys.platform.startswith("linux") and "SLURM_JOB_ID" not in environ


def socket_path():
    """One server per interpreter, import path and version of its code (so a server's
    ``sys.path`` is its jobs')."""
    key = hashlib.sha256()
    code = (Path(__file__).read_bytes(), SERVER.read_bytes())
    for part in (sys.executable, *sys.path, *code):
        key.update(part if isinstance(part, bytes) else str(part).encode())
        key.update(b"\0")
    name = f"trainscope-zygote-{os.getuid()}-{key.hexdigest()[:16]}.sock"
    return Path(tempfile.gettempdir()) / name


# -- the job's side ----------------------------------------------------------------------


def run_job(smk, job="workflow_scripts.run:run"):
    """Run ``job(smk)`` (``module:function``) in a child of the warm server: its exit
    status, or None when the server could not take it (the caller then runs the job
    itself)."""
    path = socket_path()
    try:
        conn = _connect(path) or _start_and_connect(path)
    except OSError:
        return None
    if conn is None:
        return None
    with conn:
        request = pickle.dumps(
            {
                "snakemake": smk,
                "job": job,
                "cwd": os.getcwd(),
                "env": dict(os.environ),
                "argv": list(sys.argv),
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            socket.send_fds(conn, [HEADER.pack(len(request))], [0, 1, 2])
            conn.sendall(request)
            pid = recv_int(conn)
        except OSError:
            return None
        if pid is None:  # the server went away before forking: nothing has run
            return None
        previous = {sig: signal.signal(sig, _forward_to(pid)) for sig in _FORWARDED}
        try:
            status = recv_int(conn)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    if status is None:  # the child died without reporting (killed, crashed)
        print(f"trainscope: the job's process {pid} ended without a status", file=sys.stderr)
        return 1
    return status


def _forward_to(pid):
    def forward(signum, _frame):
        try:
            os.killpg(pid, signum)
        except ProcessLookupError:
            pass

    return forward


def _connect(path):
    if not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def _start_and_connect(path):
    """Start the server (one job at a time, under a lock) and connect to it."""
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        conn = _connect(path)
        if conn is not None:
            return conn
        path.unlink(missing_ok=True)  # a server that died left its socket behind
        server = subprocess.Popen(
            [sys.executable, str(SERVER), str(path), *sys.path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            conn = _connect(path)
            if conn is not None:
                return conn
            if server.poll() is not None:  # it failed to start: run the job here, now
                return None
            time.sleep(0.05)
    return None


def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def recv_int(conn):
    data = recv_exact(conn, STATUS.size)
    return None if data is None else STATUS.unpack(data)[0]
