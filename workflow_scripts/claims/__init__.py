"""Paper claims as pure functions on cubes, and the table the workflow builds from them.

A study declares its claims once, in ``workflow_scripts/<study>/claims.py``::

    CLAIMS = Claims("<study>", load=open_inputs)

    @CLAIMS.claim("spread", figure="fig2", statement="...", threshold="...")
    def spread(ctx):
        growth = stats.mean_over_seeds(per_seed_growth)      # value, 95 % interval, n seeds
        return Result({"growth by seed": per_seed_growth},
                      checks=[Check("growth", growth, threshold=3.0, side="above")])

A claim's measured figures come with their uncertainty (``claims.stats``: intervals over
seeds from scipy.stats, binomial intervals over images). Each ``Check`` puts one interval
against the threshold the paper's words set, on the side the paper claims: **reproduced**
when the interval lies on the paper's side, **not reproduced** when it lies on the other,
**inconclusive** when it straddles the threshold. A claim with several checks is
reproduced when all are, not reproduced when any is not, inconclusive otherwise; its
reason names the checks that decided it (and, for an inconclusive one, how many seeds the
measured spread says would decide it, where the check knows its per-seed values).

``load(inputs, options)`` turns the claims rule's named input files (and the study's
claims options, ``plan.claims_options()``) into whatever the claims read. The rule
``claims_table`` writes ``results/claims/<study>.csv`` (one row per claim: the paper's
statement, the measured figures, the headline estimate with its interval and n, the
threshold, the verdict and its reason, the size it was measured at); the claims tests call
the same functions.
"""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from .stats import Estimate, seeds_needed

log = logging.getLogger(__name__)
REPRODUCED, NOT_REPRODUCED = "reproduced", "not reproduced"
INCONCLUSIVE, NOT_MEASURED = "inconclusive", "not measured"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_MEASURED)
SIDES = ("above", "below")


class NotMeasured(Exception):
    """Raised by a claim whose inputs cannot measure it (declared, with the reason)."""


@dataclass(frozen=True)
class Check:
    """One condition of a claim: an estimate whose interval must lie ``side`` of
    ``threshold`` (the side the paper's words put it). ``per_seed``: the values the
    estimate was made from, when it is a mean over seeds (for ``seeds_needed``)."""

    name: str
    estimate: Estimate
    threshold: float
    side: str = "above"
    per_seed: tuple = ()

    def __post_init__(self):
        if self.side not in SIDES:
            raise ValueError(f"check {self.name}: side must be one of {SIDES}, got {self.side!r}")

    @property
    def verdict(self):
        low, high, t = self.estimate.low, self.estimate.high, self.threshold
        if (low > t) if self.side == "above" else (high < t):
            return REPRODUCED
        if (high < t) if self.side == "above" else (low > t):
            return NOT_REPRODUCED
        return INCONCLUSIVE

    @property
    def reason(self):
        e = self.estimate
        where = {
            REPRODUCED: f"lies {self.side}",
            NOT_REPRODUCED: f"lies {'below' if self.side == 'above' else 'above'}",
            INCONCLUSIVE: "straddles",
        }[self.verdict]
        text = f"{self.name} {e.describe()} ({e.n} {e.unit}, {e.method}) {where} {self.threshold:g}"
        if self.verdict == INCONCLUSIVE and self.per_seed:
            n = seeds_needed(self.per_seed, self.threshold)
            if n is not None and n > len(self.per_seed):
                text += f"; about {n} seeds at the measured spread would decide it"
            elif math.isinf(e.high) or math.isinf(e.low):
                text += "; one seed gives no interval: more seeds would decide it"
        return text


@dataclass(frozen=True)
class Result:
    values: dict  # the measured figures, by name
    checks: tuple = ()  # Check: the conditions the verdict rests on
    note: str = ""

    def __post_init__(self):
        if not self.checks:
            raise ValueError("a claim's result needs at least one Check (its measured interval)")
        object.__setattr__(self, "checks", tuple(self.checks))

    @property
    def verdict(self):
        verdicts = [c.verdict for c in self.checks]
        if all(v == REPRODUCED for v in verdicts):
            return REPRODUCED
        if any(v == NOT_REPRODUCED for v in verdicts):
            return NOT_REPRODUCED
        return INCONCLUSIVE

    @property
    def reason(self):
        deciding = [c for c in self.checks if c.verdict == self.verdict] or list(self.checks)
        return "; ".join(c.reason for c in deciding)

    @property
    def estimate(self):
        """The headline figure: the first check's estimate."""
        return self.checks[0].estimate


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
                result, reason = c.measure(ctx), None
            except NotMeasured as exc:
                log.warning("claim %s.%s not measured: %s", self.study, c.key, exc)
                result, reason = None, str(exc)
            e = result.estimate if result is not None else None
            rows.append(
                {
                    "study": self.study,
                    "size": size,
                    "claim": c.key,
                    "figure": c.figure,
                    "statement": c.statement,
                    "measured": format_values(result.values) if result else "",
                    "estimate": f"{e.value:.4g}" if e else "",
                    "interval": f"[{e.low:.4g}, {e.high:.4g}]" if e else "",
                    "n": f"{e.n} {e.unit}" if e else "",
                    "threshold": c.threshold,
                    "verdict": result.verdict if result else NOT_MEASURED,
                    "reason": result.reason if result else reason,
                    "note": result.note if result else "",
                }
            )
        return rows
