"""Atomic writes: an artifact appears under its final name only once it is complete.

A killed job (SIGTERM, kill -9, out of memory) must never leave a half-written file
that a later run would mistake for a finished one. Everything is written to a
temporary sibling and moved into place with ``os.replace`` (atomic on POSIX within
one file system).
"""

import contextlib
import os
import shutil
from pathlib import Path


@contextlib.contextmanager
def atomic_path(final_path):
    """Yield a temporary path next to ``final_path``; move it into place on success.

    Works for files and directories. On an exception the temporary is removed and
    ``final_path`` is left untouched.
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = final_path.with_name(f".{final_path.name}.{os.getpid()}.tmp")
    _remove(tmp)
    try:
        yield tmp
        if final_path.is_dir() and not final_path.is_symlink():
            shutil.rmtree(final_path)
        os.replace(tmp, final_path)
    except BaseException:
        _remove(tmp)
        raise


def _remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
