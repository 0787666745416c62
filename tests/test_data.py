import numpy as np
import pytest

from workflow_scripts.wtm import data


def spec(**kw):
    base = dict(n_features=100, n_patterns=10, active_per_pattern=5, overlapping_masks=False,
                train_per_pattern=7, test_per_pattern=3, pattern_seed=4, sigma=0.4)
    base.update(kw)
    return data.PatternSpec(**base)


def test_patterns_masks_and_classes():
    masks, cls = data.make_patterns(spec())
    assert masks.shape == (10, 100)
    assert (masks.sum(1) == 5).all()
    assert masks.sum(0).max() == 1  # non-overlapping
    assert np.bincount(cls).tolist() == [5, 5]


def test_patterns_shared_across_sigma_noise_differs_and_seeded(tmp_path):
    a, b = data.generate(spec(sigma=0.4)), data.generate(spec(sigma=1.2))
    assert np.array_equal(a["masks"], b["masks"])
    assert np.array_equal(a["pattern_class"], b["pattern_class"])
    assert not np.allclose(a["x_train"], b["x_train"])
    again = data.generate(spec(sigma=0.4))
    assert np.array_equal(a["x_train"], again["x_train"])
    assert a["x_train"].shape == (70, 100) and a["x_test"].shape == (30, 100)
    noise = a["x_train"] - a["masks"][a["pattern_train"]]
    assert noise.std() == pytest.approx(0.4, rel=0.1)
    path = tmp_path / "d.npz"
    data.save(path, a, spec())
    loaded, loaded_spec = data.load(path)
    assert loaded_spec == spec()
    assert np.array_equal(loaded["y_test"], a["y_test"])


def test_difficulty_matches_definition():
    s = spec()
    arrays = data.generate(s)
    masks, cls = arrays["masks"], arrays["pattern_class"]
    x, y = arrays["x_train"], arrays["y_train"]
    j = 3
    own = sum(x[j] @ masks[k] for k in range(10) if cls[k] == y[j])
    other = sum(x[j] @ masks[k] for k in range(10) if cls[k] != y[j])
    assert arrays["difficulty_train"][j] == pytest.approx(other - own, rel=1e-5)
    # a noiseless sample of its pattern has d = -5 (its own 5 active entries)
    clean = data.generate(spec(sigma=0.0))
    assert np.allclose(clean["difficulty_train"], -5.0)


def test_too_many_patterns_for_non_overlapping_masks():
    with pytest.raises(ValueError, match="n_features"):
        data.make_patterns(spec(n_features=20))
