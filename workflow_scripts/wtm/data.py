"""The synthetic pattern data set of the WTM paper (numpy, seeded).

Vectors in R^n_features. Each of n_patterns patterns is a binary mask with
``active_per_pattern`` ones (its noiseless centroid c_k); patterns are split at random
into two classes of equal size. A sample is its pattern's mask plus N(0, sigma^2)
noise on every entry.

The patterns (masks and class split) depend only on ``pattern_seed``, so data sets
drawn at different sigma share their patterns: a model trained at sigma_train can be
tested on samples drawn at any sigma_test. The noise depends on (pattern_seed, sigma,
split).
"""

import json

import numpy as np

from ..specs import from_params, params
from ..store.atomic import atomic_path
from .specs import DataSpec


def make_patterns(spec):
    """Masks [n_patterns, n_features] (0/1 float32) and the class of each pattern."""
    rng = np.random.default_rng([spec.pattern_seed, 0])
    if spec.overlapping_masks:
        idx = [
            rng.choice(spec.n_features, spec.active_per_pattern, replace=False)
            for _ in range(spec.n_patterns)
        ]
    else:
        needed = spec.n_patterns * spec.active_per_pattern
        if needed > spec.n_features:
            raise ValueError(
                f"non-overlapping masks need n_patterns*active_per_pattern = {needed} "
                f"<= n_features = {spec.n_features}"
            )
        perm = rng.permutation(spec.n_features)[:needed]
        idx = perm.reshape(spec.n_patterns, spec.active_per_pattern)
    masks = np.zeros((spec.n_patterns, spec.n_features), dtype=np.float32)
    for k, cols in enumerate(idx):
        masks[k, cols] = 1.0
    pattern_class = np.zeros(spec.n_patterns, dtype=np.int64)
    pattern_class[rng.permutation(spec.n_patterns)[: spec.n_patterns // 2]] = 1
    return masks, pattern_class


def draw_split(spec, masks, pattern_class, per_pattern, split):
    """Samples of one split: x [S, F] float32, y, pattern, difficulty."""
    # sigma enters the seed as an integer (micro-units) so equal sigmas give equal noise
    split_code = {"train": 1, "test": 2}[split]
    rng = np.random.default_rng([spec.pattern_seed, split_code, round(spec.sigma * 1e6)])
    pattern = np.repeat(np.arange(spec.n_patterns), per_pattern)
    x = masks[pattern] + rng.normal(0.0, spec.sigma, (pattern.size, spec.n_features)).astype(
        np.float32
    )
    y = pattern_class[pattern]
    return x.astype(np.float32), y, pattern, difficulty(x, y, masks, pattern_class)


def difficulty(x, y, masks, pattern_class):
    """d(x) = <x, sum of the other class's centroids> - <x, sum of its own class's centroids>.

    Positive d: the sample looks more like the other class (a difficult sample).
    """
    class_sums = np.stack([masks[pattern_class == c].sum(0) for c in (0, 1)])  # [2, F]
    scores = x.astype(np.float64) @ class_sums.T.astype(np.float64)  # [S, 2]
    own = scores[np.arange(len(y)), y]
    other = scores[np.arange(len(y)), 1 - y]
    return other - own


def generate(spec, split):
    """One split at spec.sigma: x, y, pattern, difficulty, plus the masks and classes."""
    masks, pattern_class = make_patterns(spec)
    per = {"train": spec.train_per_pattern, "test": spec.test_per_pattern}[split]
    x, y, pattern, diff = draw_split(spec, masks, pattern_class, per, split)
    return {
        "x": x,
        "y": y,
        "pattern": pattern,
        "difficulty": diff,
        "masks": masks,
        "pattern_class": pattern_class,
    }


def save(path, arrays, spec):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:  # np.savez would append .npz to a bare tmp name
            np.savez(fh, spec=json.dumps(params(spec)), **arrays)


def load(path):
    """The arrays of a data file plus its spec (a DataSpec)."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files if k != "spec"}
        spec = from_params(DataSpec, json.loads(str(f["spec"])))
    return arrays, spec
