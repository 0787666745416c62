"""Progress of long work: a tqdm bar on a terminal, plain log lines everywhere else.

A job's stderr is a terminal only when Snakemake runs in one; in a rule's log file or a
SLURM job log, thousands of carriage-return updates make one unreadable line. There the
same progress is logged as a line every ``every_percent`` percent or ``every_s``
seconds, whichever comes first (why by hand: tqdm has no line-per-interval mode).

    for batch in progress(loader, total=len(loader), desc="train", unit="batch"):
        ...
    bar = progress(total=steps, desc="train", unit="step"); bar.update(k); bar.close()
"""

import logging
import sys
import time

log = logging.getLogger("workflow_scripts.progress")


def progress(
    iterable=None,
    *,
    total=None,
    desc="",
    unit="it",
    initial=0,
    enabled=True,
    every_percent=10,
    every_s=30.0,
    stream=None,
):
    stream = stream or sys.stderr
    if not enabled:
        return _Lines(iterable, total, desc, unit, initial, quiet=True)
    if getattr(stream, "isatty", lambda: False)():
        from tqdm import tqdm

        return tqdm(
            iterable,
            total=total,
            desc=desc,
            unit=unit,
            initial=initial,
            mininterval=1.0,
            file=stream,
        )
    return _Lines(
        iterable, total, desc, unit, initial, every_percent=every_percent, every_s=every_s
    )


class _Lines:
    """The tqdm calls the project uses (iterate, update, set_postfix, close), as log lines."""

    def __init__(
        self, iterable, total, desc, unit, initial, every_percent=10, every_s=30.0, quiet=False
    ):
        self.iterable, self.desc, self.unit, self.quiet = iterable, desc, unit, quiet
        self.total = total if total is not None else _len(iterable)
        self.n = self.start_n = initial
        self.every_percent, self.every_s = every_percent, every_s
        self.t0 = self.last_t = time.monotonic()
        self.last_pct = self._pct() or 0.0
        self.last_n = initial
        self.postfix = ""

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def _pct(self):
        return 100.0 * self.n / self.total if self.total else None

    def set_postfix(self, **values):
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def update(self, n=1):
        self.n += n
        now, pct = time.monotonic(), self._pct()
        due = now - self.last_t >= self.every_s
        if pct is not None and pct - self.last_pct >= self.every_percent:
            due = True
        if due:
            self._emit(now)

    def _emit(self, now):
        self.last_t, self.last_pct, self.last_n = now, self._pct() or 0.0, self.n
        if self.quiet:
            return
        rate = (self.n - self.start_n) / max(now - self.t0, 1e-9)
        done = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        pct = f" {self._pct():3.0f}%" if self.total else ""
        eta = ""
        if self.total and rate > 0:
            eta = f", eta {_clock((self.total - self.n) / rate)}"
        extra = f" ({self.postfix})" if self.postfix else ""
        log.info(
            "%s:%s %s %s, %.3g %s/s%s%s",
            self.desc,
            pct,
            done,
            self.unit,
            rate,
            self.unit,
            eta,
            extra,
        )

    def close(self):
        if self.n != self.last_n and not self.quiet:
            self._emit(time.monotonic())
        self.quiet = True  # closing twice logs once


def _len(iterable):
    try:
        return len(iterable)
    except TypeError:
        return None


def _clock(seconds):
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h:d}:{m:02d}:{s:02d}"
