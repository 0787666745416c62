"""The warm server of ``workflow_scripts.zygote``: run as a script by the first job of a
local run (``python zygote_server.py SOCKET PATH...``), it puts the job's import path in
place, imports ``zygote.PRELOAD``, and forks a child per job that becomes the job."""

import importlib
import os
import pickle
import signal
import socket
import sys
import threading
from pathlib import Path


def serve(path, path_entries):
    sys.path[:] = path_entries
    from workflow_scripts.zygote import IDLE_S, PRELOAD

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - one that fails here fails in the job, with its
            pass  # traceback where the job's output goes
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = f"{path}.{os.getpid()}"
    listener.bind(tmp)
    os.replace(tmp, path)  # appears under its name only once it can be connected to
    inode = os.stat(path).st_ino
    listener.listen(64)
    listener.settimeout(IDLE_S)
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
    from workflow_scripts.zygote import HEADER, STATUS, recv_exact

    status = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        conn.settimeout(None)
        msg, fds, _flags, _addr = socket.recv_fds(conn, HEADER.size, 3)
        msg += recv_exact(conn, HEADER.size - len(msg)) or b""
        request = pickle.loads(recv_exact(conn, HEADER.unpack(msg)[0]))
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv[:] = request["argv"]
        _reseed()
        conn.sendall(STATUS.pack(os.getpid()))
        threading.Thread(target=_die_with_job, args=(conn,), daemon=True).start()
        status = _run(request["job"], request["snakemake"])
    except BaseException:  # noqa: BLE001 - the job's status says it failed
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(STATUS.pack(status))
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
