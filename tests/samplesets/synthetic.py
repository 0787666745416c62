"""Synthetic cubes in the layout ``extract`` writes, with per-layer curves chosen by the test
(claims logic, figures)."""

import numpy as np
import xarray as xr

STEPS = [0, 1, 2, 5, 10, 22, 50, 200, 800, 2000, 8000]
RISE_FALL = [0.55, 0.6, 0.68, 0.72, 0.7, 0.6, 0.5, 0.3, 0.2, 0.15, 0.1]
FALL = [0.6, 0.58, 0.55, 0.5, 0.45, 0.4, 0.35, 0.3, 0.28, 0.25, 0.2]
ERROR = [0.9, 0.9, 0.9, 0.89, 0.8, 0.6, 0.4, 0.2, 0.15, 0.13, 0.12]


def cube(
    f_by_layer,
    p_by_layer=None,
    u_by_layer=None,
    error=ERROR,
    seed=0,
    width=4,
    depth=None,
    loss="ce",
    u_max=0.302,
    width_attr=320,
):
    layers = sorted(f_by_layer)
    depth = depth or len(layers) + 1
    n, t = width * len(layers), len(STEPS)

    def nodes(by_layer, default):
        values = np.empty((t, n))
        for i, layer in enumerate(layers):
            curve = np.asarray((by_layer or {}).get(layer, default), dtype=float)
            values[:, i * width : (i + 1) * width] = curve[:, None] + 0.01 * np.arange(width)
        return values

    rng = np.random.default_rng(seed)
    jitter = rng.normal(0, 0.002, size=(t, n))
    return xr.Dataset(
        {
            "activation_fraction": (("time", "node"), nodes(f_by_layer, FALL) + jitter),
            "predictability": (("time", "node"), nodes(p_by_layer, np.linspace(0.5, 0.8, t))),
            "informativeness": (
                ("time", "node"),
                nodes(u_by_layer, [0.03, 0.1, 0.19] + [0.15] * (t - 3)),
            ),
            "dead": (("time", "node"), np.zeros((t, n), dtype=bool)),
            "always_active": (("time", "node"), np.zeros((t, n), dtype=bool)),
            "val_error": (("time",), np.asarray(error, dtype=float)),
            "val_loss": (("time",), 2.3 * np.asarray(error, dtype=float)),
            "epoch": (("time",), np.asarray(STEPS) / 800),
        },
        coords={
            "time": STEPS,
            "node": np.arange(n),
            "layer": ("node", np.repeat(layers, width)),
            "unit": ("node", np.tile(np.arange(width), len(layers))),
        },
        attrs={
            "steps_per_epoch": 800,
            "max_informativeness": u_max,
            "depth": depth,
            "width": width_attr,
            "n_validation": 12000,
            "loss": loss,
            "seed": seed,
            "net": f"{depth}x320_{loss}",
        },
    )
