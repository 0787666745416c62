"""Paper claims as pure functions on cubes, and the table the workflow builds from them.

A study declares its claims once, in ``workflow_scripts/<study>/claims.py``::

    CLAIMS = Claims("<study>", load=open_inputs)

    @CLAIMS.claim("spread", figure="fig2", statement="...", threshold="...")
    def spread(ctx):
        ...
        return Result({"growth": 9.1, "other class": 1.1}, holds=growth > 3)

``load(inputs, options)`` turns the claims rule's named input files (and the study's
claims options, ``plan.claims_options()``) into whatever the claims read. The rule
``claims_table`` writes ``results/claims/<study>.csv`` (one row
per claim: the paper's statement, the measured figures, the threshold, the verdict and
the size it was measured at); the claims tests call the same functions.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
REPRODUCED, NOT_REPRODUCED, NOT_MEASURED = "reproduced", "not reproduced", "not measured"


class NotMeasured(Exception):
    """Raised by a claim whose inputs cannot measure it (declared, with the reason)."""


@dataclass(frozen=True)
class Result:
    values: dict  # the measured figures, by name
    holds: bool
    note: str = ""

    @property
    def verdict(self):
        return REPRODUCED if self.holds else NOT_REPRODUCED


@dataclass(frozen=True)
class Claim:
    key: str
    figure: str  # the target that shows it, e.g. "fig2"
    statement: str  # what the paper says
    threshold: str  # what counts as reproduced here
    measure: Callable = field(repr=False)


def format_values(values):
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.3g}"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        return str(v)

    return "; ".join(f"{k} {fmt(v)}" for k, v in values.items())


class Claims:
    """The claims of one study, in declaration order."""

    def __init__(self, study, load):
        self.study = study
        self.load = load
        self._claims = {}

    def claim(self, key, *, figure, statement, threshold):
        def register(measure):
            if key in self._claims:
                raise ValueError(f"claim {key!r} declared twice in study {self.study}")
            self._claims[key] = Claim(key, figure, statement, threshold, measure)
            return measure

        return register

    def __iter__(self):
        return iter(self._claims.values())

    def __getitem__(self, key):
        return self._claims[key]

    def evaluate(self, inputs, options, size):
        """One row per claim (see ``table.FIELDS``). A claim that cannot be measured on
        these inputs by design (e.g. a size with one seed where it needs several) raises
        ``NotMeasured`` with the reason and is reported so; any other exception is a
        defect and fails the build."""
        ctx = self.load(inputs, options)
        rows = []
        for c in self:
            try:
                result = c.measure(ctx)
                measured, verdict, note = format_values(result.values), result.verdict, result.note
            except NotMeasured as exc:
                log.warning("claim %s.%s not measured: %s", self.study, c.key, exc)
                measured, verdict, note = "", NOT_MEASURED, str(exc)
            rows.append(
                {
                    "study": self.study,
                    "size": size,
                    "claim": c.key,
                    "figure": c.figure,
                    "statement": c.statement,
                    "measured": measured,
                    "threshold": c.threshold,
                    "verdict": verdict,
                    "note": note,
                }
            )
        return rows
