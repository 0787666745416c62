"""A warm interpreter that forks local jobs, so that each does not import torch again.

Why: every Snakemake job is a fresh Python process, and a torch job spends 1.1-1.3 s of
an idle core (about 2 s on a busy one) importing torch, xarray and scipy before its
first useful operation: a fifth of the default build's job seconds, which has ~300 jobs
(race alone 108 short ones). Snakemake has no warm-worker executor for local runs, and
the standard library's ``multiprocessing`` fork server belongs to the process that
starts it, so it cannot outlive one job; hence this module, written by hand.

How: the first job of a local run starts a server (``python workflow_scripts/zygote.py
SOCKET``: this file run as a script) that imports the heavy third-party modules (``PRELOAD``; never this package's
own modules, so a job always runs the code on disk) and waits on a Unix socket. A job
(``workflow_scripts/run.py``) sends it its ``snakemake`` object, working directory,
environment, ``sys.path`` and its stdin/stdout/stderr; the server forks a child that
takes all of them over, runs the job as ``run.py`` would, and reports its exit status.
The job's process waits for it, forwards SIGTERM/SIGINT/SIGHUP to the child's process
group, and the child kills itself when the job's process dies (a SIGKILL included), so
killing a job still kills its work. The server exits after ``IDLE_S`` seconds without a
job. Anything that fails before the child starts (no fork, a server that cannot
start, a socket that vanished) makes the job run in its own process as before.

Linux only. Off where a warm process cannot help or would be wrong: under SLURM (``SLURM_JOB_ID``:
each job is its own allocation) and with ``TRAINSCOPE_ZYGOTE=0``. Snakemake's
``benchmark`` files then still time the job (``s``), but their memory and CPU columns
describe the job's thin process, not the forked child: set ``TRAINSCOPE_ZYGOTE=0`` to
profile a job's memory.
"""

import fcntl
import hashlib
import importlib
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
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
_HEADER = struct.Struct("!Q")
_STATUS = struct.Struct("!i")
_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def enabled(environ=os.environ):
    """Whether a job should go through the warm server: local runs on Linux (macOS's
    system libraries are not safe to use in a forked child, hence Python's own default of
    spawning there)."""
    if environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return sys.platform.startswith("linux") and "SLURM_JOB_ID" not in environ


def socket_path(path_entries=None):
    """One server per interpreter, import path and version of this module."""
    key = hashlib.sha256()
    for part in (sys.executable, *(path_entries or sys.path), Path(__file__).read_bytes()):
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
                "path": list(sys.path),
                "argv": list(sys.argv),
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            socket.send_fds(conn, [_HEADER.pack(len(request))], [0, 1, 2])
            conn.sendall(request)
            pid = _recv_int(conn)
        except OSError:
            return None
        if pid is None:  # the server went away before forking: nothing has run
            return None
        previous = {sig: signal.signal(sig, _forward_to(pid)) for sig in _FORWARDED}
        try:
            status = _recv_int(conn)
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
        subprocess.Popen(
            [sys.executable, __file__, str(path), *sys.path],
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
            time.sleep(0.05)
    return None


def _recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _recv_int(conn):
    data = _recv_exact(conn, _STATUS.size)
    return None if data is None else _STATUS.unpack(data)[0]


# -- the server's side -------------------------------------------------------------------


def serve(path, path_entries, idle_s=IDLE_S):
    sys.path[:] = path_entries
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional module missing: the child imports what it needs
            pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = f"{path}.{os.getpid()}"
    listener.bind(tmp)
    os.replace(tmp, path)  # appears under its name only once it can be connected to
    inode = os.stat(path).st_ino
    listener.listen(64)
    listener.settimeout(idle_s)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                break
            if os.fork() == 0:
                listener.close()
                _child(conn)  # never returns
            conn.close()
    finally:
        try:
            if os.stat(path).st_ino == inode:  # not a successor's socket
                os.unlink(path)
        except OSError:
            pass
        listener.close()


def _child(conn):
    """Become the job: its session, descriptors, directory, environment; run; report."""
    status = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        conn.settimeout(None)
        msg, fds, _flags, _addr = socket.recv_fds(conn, _HEADER.size, 3)
        msg += _recv_exact(conn, _HEADER.size - len(msg)) or b""
        request = pickle.loads(_recv_exact(conn, _HEADER.unpack(msg)[0]))
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[:] = request["path"]
        sys.argv[:] = request["argv"]
        _reseed()
        conn.sendall(_STATUS.pack(os.getpid()))
        threading.Thread(target=_die_with_job, args=(conn,), daemon=True).start()
        status = _run(request["job"], request["snakemake"])
    except BaseException:  # noqa: BLE001 - the job's status says it failed
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(_STATUS.pack(status))
        finally:
            os._exit(status)


def _run(job, smk):
    module, _, function = job.partition(":")
    try:
        getattr(importlib.import_module(module), function)(smk)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:  # noqa: BLE001 - as a script's uncaught exception: traceback, 1
        import traceback

        traceback.print_exc()
        return 1
    finally:
        import logging

        logging.shutdown()
    return 0


def _reseed():
    """A fresh process seeds Python's and numpy's global generators from the OS; so
    does a forked job (the workflow's code seeds its own generators anyway)."""
    import random

    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()


def _die_with_job(conn):
    """The job's process holds the other end: when it ends (killed too), so does this."""
    try:
        while conn.recv(1):
            pass
    except OSError:
        pass
    os.killpg(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2:])
