"""Small synthetic run cubes in the layout ``merge`` writes (random numbers), for the
figure and claims tests."""

import numpy as np
import xarray as xr

from workflow_scripts.selectivity.specs import MODULES

STEPS = np.array([0, 5, 10, 20])  # 10 batches per epoch
BLOCKS, CHANNELS = 2, 3
FRACTIONS = np.array([0.0, 0.5, 1.0])
LAYERS = [f"{m}.{b}" for m in MODULES for b in range(BLOCKS)] + ["fc"]


TEST_IMAGES = 1000  # test images at the last checkpoint (the regulariser runs' end)


def _at_end(value, elsewhere):
    out = np.full(len(STEPS), elsewhere, dtype=float)
    out[-1] = value
    return out


def fake_cube(seed, alpha=0.0, onset=0.0, ablate=True):
    """A run cube with random numbers in the layout ``merge`` writes."""
    rng = np.random.default_rng([seed, int(onset), int(-alpha)])
    n_units, n_layers = len(MODULES) * BLOCKS * CHANNELS, len(LAYERS)
    module = np.repeat(MODULES, BLOCKS * CHANNELS)
    block = np.tile(np.repeat(np.arange(BLOCKS), CHANNELS), len(MODULES))
    cka = rng.uniform(0.2, 0.9, (len(STEPS), n_layers, n_layers))
    cka = (cka + cka.transpose(0, 2, 1)) / 2
    last, fc = LAYERS.index(f"{MODULES[-1]}.{BLOCKS - 1}"), LAYERS.index("fc")
    cka[:, last, :], cka[:, :, last] = cka[:, fc, :], cka[:, :, fc]  # a 1x1 block output is
    cka[:, last, fc] = cka[:, fc, last] = cka[:, last, last] = 1.0  # the FC input (28x28)
    dead = np.zeros((len(STEPS), n_units), dtype=np.int8)
    dead[:, 0] = 1  # a silent unit: left out of every SI mean
    data = {
        "si": (("checkpoint", "unit"), rng.uniform(0, 1, (len(STEPS), n_units))),
        "si_floor": (("checkpoint", "unit"), rng.uniform(0, 0.1, (len(STEPS), n_units))),
        "dead": (("checkpoint", "unit"), dead),
        "accuracy": (("checkpoint",), rng.uniform(0.1, 0.9, len(STEPS))),
        "train_accuracy": (("checkpoint",), rng.uniform(0.1, 0.9, len(STEPS))),
        "epoch": (("checkpoint",), STEPS / 10),
        "test_accuracy": (("checkpoint",), _at_end(rng.uniform(0.5, 0.9), np.nan)),
        "test_images": (("checkpoint",), _at_end(TEST_IMAGES, 0)),
        "cka": (("checkpoint", "layer", "layer2"), cka),
    }
    if ablate:
        acc = rng.uniform(0.2, 0.9, (len(STEPS), len(MODULES), 2, len(FRACTIONS), 2))
        acc[:, :, 0, :, 1:] = np.nan  # selective order: draw 0 only
        acc[0] = np.nan  # the initialisation is not ablated
        data["ablation_accuracy"] = (
            ("checkpoint", "ablated_module", "order", "fraction", "draw"),
            acc,
        )
    coords = {
        "checkpoint": STEPS,
        "unit": np.arange(n_units),
        "module": ("unit", module),
        "block": ("unit", block),
        "layer": LAYERS,
        "layer2": LAYERS,
        "layer_module": ("layer", [int(n.split(".")[0]) if n != "fc" else 8 for n in LAYERS]),
        "ablated_module": list(MODULES),
        "order": ["selective", "random"],
        "fraction": FRACTIONS,
        "draw": [0, 1],
    }
    attrs = {"seed": seed, "alpha": alpha, "onset": onset, "onset_unit": "batches"}
    attrs["role"] = "baseline" if alpha == 0 else "regularised"
    return xr.Dataset(data, coords=coords, attrs=attrs)
