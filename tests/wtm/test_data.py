import numpy as np
import pytest

from workflow_scripts.wtm import data
from workflow_scripts.wtm.specs import DataSpec


def spec(**kw):
    base = dict(
        n_features=100,
        n_patterns=10,
        active_per_pattern=5,
        overlapping_masks=False,
        train_per_pattern=7,
        test_per_pattern=3,
        pattern_seed=4,
        sigma=0.4,
    )
    base.update(kw)
    return DataSpec(**base)


def test_patterns_masks_and_classes():
    masks, cls = data.make_patterns(spec())
    assert masks.shape == (10, 100)
    assert (masks.sum(1) == 5).all()
    assert masks.sum(0).max() == 1  # non-overlapping
    assert np.bincount(cls).tolist() == [5, 5]


def test_patterns_shared_across_sigma_noise_differs_and_seeded(tmp_path):
    a, b = data.generate(spec(sigma=0.4), "train"), data.generate(spec(sigma=1.2), "test")
    assert np.array_equal(a["masks"], b["masks"])
    assert np.array_equal(a["pattern_class"], b["pattern_class"])
    again = data.generate(spec(sigma=0.4), "train")
    assert np.array_equal(a["x"], again["x"])
    other_split = data.generate(spec(sigma=0.4), "test")
    assert not np.allclose(a["x"][:30], other_split["x"])
    assert a["x"].shape == (70, 100) and b["x"].shape == (30, 100)
    assert np.bincount(a["pattern"]).tolist() == [7] * 10
    noise = a["x"] - a["masks"][a["pattern"]]
    assert noise.std() == pytest.approx(0.4, rel=0.1)
    path = tmp_path / "d.npz"
    data.save(path, a, spec())
    loaded, loaded_spec = data.load(path)
    assert loaded_spec == spec()
    assert np.array_equal(loaded["y"], a["y"])


def test_difficulty_matches_definition():
    s = spec()
    arrays = data.generate(s, "train")
    masks, cls = arrays["masks"], arrays["pattern_class"]
    x, y = arrays["x"], arrays["y"]
    j = 3
    own = sum(x[j] @ masks[k] for k in range(10) if cls[k] == y[j])
    other = sum(x[j] @ masks[k] for k in range(10) if cls[k] != y[j])
    assert arrays["difficulty"][j] == pytest.approx(other - own, rel=1e-5)
    # a noiseless sample of its pattern has d = -5 (its own 5 active entries)
    clean = data.generate(spec(sigma=0.0), "test")
    assert np.allclose(clean["difficulty"], -5.0)


def test_too_many_patterns_for_non_overlapping_masks():
    with pytest.raises(ValueError, match="n_features"):
        data.make_patterns(spec(n_features=20))
