"""Intervals for the claims' measured figures (scipy.stats), and what would decide a claim.

Every claim states its measured figure as an ``Estimate``: a value, its 95 % interval, the
number of independent units behind it (seeds, or images) and how the interval was made.

- over seeds: ``mean_over_seeds`` (Student t interval of the mean; one seed gives an
  unbounded interval: nothing is known about the spread), ``paired_difference`` and
  ``difference_of_means`` (Welch) from ``scipy.stats.ttest_rel`` / ``ttest_ind``;
  ``bootstrap`` for statistics other than a mean (``scipy.stats.bootstrap``, BCa);
- over images: ``proportion`` (Wilson score interval of k correct of n,
  ``scipy.stats.binomtest``), and ``accuracy_over_seeds``, which joins the seed interval of
  the mean accuracy with the binomial interval of all images pooled (the union of both: a
  reviewer's worst case);
- ``seeds_needed``: from the measured spread, the smallest number of seeds whose t
  interval of the mean would no longer contain the threshold (what would decide an
  inconclusive claim), assuming the mean and the spread stay as measured.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    n: int  # independent units behind the interval
    unit: str  # "seeds", "images", "runs", ...
    method: str  # how the interval was made

    def describe(self, digits=3):
        def fmt(x):
            return "inf" if math.isinf(x) else f"{x:.{digits}g}"

        low = "-inf" if self.low == -math.inf else fmt(self.low)
        return f"{fmt(self.value)} [{low}, {fmt(self.high)}]"


def _finite(values):
    v = np.asarray(values, dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def mean_over_seeds(values, unit="seeds", confidence=CONFIDENCE):
    """Mean of per-seed values with its t interval (unbounded with fewer than 2 seeds)."""
    v = _finite(values)
    if len(v) == 0:
        raise ValueError("no finite value to estimate from")
    mean = float(v.mean())
    if len(v) < 2:
        return Estimate(mean, -math.inf, math.inf, len(v), unit, "one value: no interval")
    sem = float(stats.sem(v))
    if sem == 0:
        return Estimate(mean, mean, mean, len(v), unit, "t interval (no spread)")
    low, high = stats.t.interval(confidence, len(v) - 1, loc=mean, scale=sem)
    return Estimate(mean, float(low), float(high), len(v), unit, f"t interval ({confidence:.0%})")


def paired_difference(a, b, unit="seeds", confidence=CONFIDENCE):
    """Mean of a - b over paired units (the same seeds), with its t interval."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return mean_over_seeds(a - b, unit, confidence)


def difference_of_means(a, b, unit="seeds", confidence=CONFIDENCE):
    """mean(a) - mean(b) of independent samples, Welch's t interval."""
    a, b = _finite(a), _finite(b)
    diff = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return Estimate(diff, -math.inf, math.inf, min(len(a), len(b)), unit, "too few values")
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence)
    return Estimate(
        diff, float(ci.low), float(ci.high), min(len(a), len(b)), unit, "Welch t interval"
    )


def bootstrap(values, statistic, unit="seeds", confidence=CONFIDENCE, seed=0):
    """``statistic(values)`` with a BCa bootstrap interval over the units (>= 3 needed)."""
    v = _finite(values)
    value = float(statistic(v))
    if len(v) < 3 or np.all(v == v[0]):
        return Estimate(value, -math.inf, math.inf, len(v), unit, "too few values to resample")
    res = stats.bootstrap(
        (v,), statistic, confidence_level=confidence, method="BCa", rng=np.random.default_rng(seed)
    )
    ci = res.confidence_interval
    return Estimate(value, float(ci.low), float(ci.high), len(v), unit, "bootstrap (BCa)")


def proportion(k, n, confidence=CONFIDENCE):
    """k successes of n trials (e.g. correct images), Wilson score interval."""
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence, method="wilson")
    return Estimate(k / n, float(ci.low), float(ci.high), int(n), "images", "Wilson interval")


def accuracy_over_seeds(accuracies, n_images, confidence=CONFIDENCE):
    """Mean accuracy over seeds (each measured on ``n_images`` images): the union of the
    t interval over seeds and the binomial interval of every image pooled."""
    acc = _finite(accuracies)
    seeds = mean_over_seeds(acc, confidence=confidence)
    pooled = proportion(round(float(acc.sum()) * n_images), len(acc) * n_images, confidence)
    return Estimate(
        seeds.value,
        min(seeds.low, pooled.low),
        max(seeds.high, pooled.high),
        len(acc),
        f"seeds x {n_images} images",
        "union of the seed t interval and the pooled Wilson interval",
    )


def seeds_needed(values, threshold, confidence=CONFIDENCE, most=1000):
    """Seeds at which the t interval of the mean would exclude ``threshold`` at the
    measured mean and spread (None when the mean sits on the threshold or no spread)."""
    v = _finite(values)
    if len(v) < 2:
        return None
    gap, sd = abs(float(v.mean()) - threshold), float(v.std(ddof=1))
    if gap == 0 or sd == 0:
        return None
    for n in range(2, most + 1):
        if stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n) < gap:
            return n
    return None
