"""Resume after a kill: the progress of an unfinished job lives in ``<output>.partial/``.

Every trainer uses this one mechanism:

- ``Partial(output, fingerprint)``: the directory beside the output. The fingerprint
  names what is being computed (``fingerprint(spec, code)``: the resolved parameters
  and the code digest); a partial directory left by other parameters or other code is
  discarded, never reused.
- ``save_state(step, state)`` writes ``state-<step>.pt`` atomically and then removes
  the older ones; ``latest_state()`` returns the newest readable one (``None`` when the
  job starts afresh).
- ``due()``: whether a resume state is due. One setting for every trainer: the config
  key ``resume_every_s`` (seconds between resume states; 0 = at every opportunity, which
  the kill-and-resume tests use), read from the config a job runs under by
  ``every_seconds(config)``, never hashed nor carried by params (a resumed run ends
  bit-identical to an uninterrupted one, so it cannot change a result). Trainers ask
  ``due()`` at the points where they can save (e.g. the end of a low-rank window).
- Files the job produces on the way (checkpoints) go to ``file(name)``.
- ``finalize_directory()`` turns the partial directory into the output directory (one
  rename, resume states removed); ``finalize(write)`` writes a file or directory output
  atomically with ``write(tmp_path)`` and removes the partial directory.

A killed job thus leaves nothing under its output's name; its rerun continues from the
last state and, with the same seeds on the CPU, ends bit-identical to an uninterrupted
run (each trainer saves its generator states).
"""

import logging
import os
import re
import shutil
import time
from pathlib import Path

from .atomic import atomic_path
from .checkpoints import load_checkpoint, save_checkpoint
from .errors import CorruptArtifactError
from .ids import spec_hash

log = logging.getLogger(__name__)
FINGERPRINT_FILE = "FINGERPRINT"
STATE = re.compile(r"state-(\d+)\.pt$")
SETTING = "resume_every_s"
DEFAULT_EVERY_S = 60.0


def every_seconds(config):
    """Seconds between resume states, from the config a job runs under."""
    return float(config.get(SETTING, DEFAULT_EVERY_S))


def fingerprint(spec, code=""):
    """Identity of a computation: its resolved parameters plus the digest of its code."""
    return spec_hash({"spec": spec, "code": code}, length=40)


class Partial:
    def __init__(self, output, fingerprint, every_s=DEFAULT_EVERY_S):
        self.output = Path(output)
        self.every_s = float(every_s)
        self._last_save = time.monotonic()
        self.dir = self.output.with_name(self.output.name + ".partial")
        self.fingerprint = str(fingerprint)
        stamp = self.dir / FINGERPRINT_FILE
        if self.dir.exists() and (not stamp.is_file() or stamp.read_text() != self.fingerprint):
            log.warning("discarding %s: it was written by other parameters or code", self.dir)
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        if not stamp.is_file():
            stamp.write_text(self.fingerprint)

    def file(self, name):
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def state_steps(self):
        return sorted(
            int(m.group(1)) for f in self.dir.glob("state-*.pt") if (m := STATE.match(f.name))
        )

    def due(self):
        """Whether ``every_s`` seconds have passed since the last resume state (or the start)."""
        return time.monotonic() - self._last_save >= self.every_s

    def save_state(self, step, state):
        save_checkpoint(self.dir / f"state-{int(step):09d}.pt", state)
        self._last_save = time.monotonic()
        for old in self.state_steps():
            if old < int(step):
                (self.dir / f"state-{old:09d}.pt").unlink(missing_ok=True)

    def latest_state(self):
        """(step, state) of the newest readable resume state, or None."""
        for step in reversed(self.state_steps()):
            path = self.dir / f"state-{step:09d}.pt"
            try:
                return step, load_checkpoint(path)
            except CorruptArtifactError as exc:  # an older state may still be good
                log.warning("skipping unreadable resume state: %s", exc)
        return None

    def _drop_bookkeeping(self):
        for step in self.state_steps():
            (self.dir / f"state-{step:09d}.pt").unlink()
        (self.dir / FINGERPRINT_FILE).unlink(missing_ok=True)

    def finalize_directory(self):
        """The partial directory (minus resume states) becomes the output directory."""
        self._drop_bookkeeping()
        with atomic_path(self.output) as tmp:
            os.rename(self.dir, tmp)

    def finalize(self, write):
        """Write the output with ``write(tmp)`` (atomically), then drop the progress."""
        with atomic_path(self.output) as tmp:
            write(tmp)
        shutil.rmtree(self.dir, ignore_errors=True)
