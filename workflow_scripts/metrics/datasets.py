"""The metrics' results as xarray Datasets: named dims, coords, units (one checkpoint each;
a caller adds the time dimension, e.g. ``ds.expand_dims(time=[step])``).

Dims: ``unit`` (every unit of the unit layers, concatenated in layer order; coords
``layer`` = its layer's name and ``unit_index`` = its index in that layer), ``class``,
``layer``/``layer2`` (CKA layers), ``group``/``order``/``fraction``/``draw`` (ablation).
Booleans (dead, always_active) are bool: xarray writes them to netCDF as int8 with a
``dtype: bool`` attribute and decodes them back.
"""

import json

import numpy as np
import xarray as xr

from .ablation import ORDERS
from .sample_sets import max_informativeness, node_metrics

ONE = {"units": "1"}


def unit_coords(m, classes):
    return {
        "unit": ("unit", np.arange(sum(m.units.values()), dtype=np.int64)),
        "layer": (
            "unit",
            m.unit_layer().astype(str),
            {"long_name": "the unit's layer (model.named_modules() name)"},
        ),
        "unit_index": (
            "unit",
            m.unit_index().astype(np.int64),
            {"long_name": "output (linear) or channel (conv) index within its layer"},
        ),
        "class": ("class", np.asarray(classes, dtype=str), {"long_name": "class name"}),
    }


def accuracy_dataset(m):
    acc = np.nan if m.accuracy is None else m.accuracy
    return xr.Dataset(
        {"accuracy": ((), acc, {"long_name": "top-1 accuracy on the probe images", **ONE})},
        attrs={"n_images": m.n_images},
    )


def selectivity_dataset(m, classes):
    s = m.selectivity
    data = {
        "class_mean": (
            ("unit", "class"),
            s["class_mean"],
            {
                "long_name": "class-conditional mean activation over the probe images "
                "(conv channels: spatial mean)",
                "units": "activation",
            },
        ),
        "si": (("unit",), s["si"], {"long_name": "class selectivity index", **ONE}),
        "si_floor": (
            ("unit",),
            s["si_floor"],
            {"long_name": "class selectivity index with shuffled labels (noise floor)", **ONE},
        ),
        "dead": (
            ("unit",),
            s["dead"].astype(bool),
            {"long_name": "unit silent on every probe image (SI meaningless)"},
        ),
    }
    ds = xr.Dataset(data, coords=unit_coords(m, classes))
    return ds.merge(accuracy_dataset(m))


def samplesets_dataset(m, classes):
    sizes = np.asarray(m.class_sizes, dtype=np.int64)
    metrics = node_metrics(m.counts, sizes)
    fraction = {**ONE, "valid_range": [0.0, 1.0]}
    undefined = "; NaN for dead and always-active units"
    data = {
        "count": (
            ("unit", "class"),
            m.counts.astype(np.int64),
            {
                "long_name": "probe images of the class on which the unit is active",
                "units": "images",
            },
        ),
        "activation_fraction": (
            ("unit",),
            metrics["activation_fraction"],
            {
                "long_name": "activation fraction f: mean over classes of count / class_size",
                **fraction,
            },
        ),
        "predictability": (
            ("unit",),
            metrics["predictability"],
            {"long_name": "predictability p = 1 - H(Z|Y) / log 2" + undefined, **fraction},
        ),
        "informativeness": (
            ("unit",),
            metrics["informativeness"],
            {"long_name": "informativeness u = 1 - H(Y|Z) / log |C|" + undefined, **fraction},
        ),
        "dead": (("unit",), metrics["dead"], {"long_name": "active on no probe image"}),
        "always_active": (
            ("unit",),
            metrics["always_active"],
            {"long_name": "active on every probe image"},
        ),
    }
    coords = unit_coords(m, classes)
    coords["class_size"] = (
        "class",
        sizes,
        {"long_name": "probe images of the class", "units": "images"},
    )
    attrs = {"max_informativeness": max_informativeness(sizes)}
    return xr.Dataset(data, coords=coords, attrs=attrs).merge(accuracy_dataset(m))


def cka_dataset(m, precision):
    layers = np.asarray(m.cka_layers, dtype=str)
    return xr.Dataset(
        {
            "cka": (
                ("layer", "layer2"),
                np.asarray(m.cka, dtype=np.float64),
                {
                    "long_name": f"minibatch linear CKA (unbiased HSIC; Gram products in "
                    f"{precision}, HSIC in float64)",
                    **ONE,
                },
            )
        },
        coords={"layer": ("layer", layers), "layer2": ("layer2", layers)},
        attrs={"cka_batches": int(m.cka_batches), "cka_precision": precision},
    )


def ablation_dataset(result, groups, fractions, draws):
    coords = {
        "group": ("group", np.asarray([g.name for g in groups], dtype=str)),
        "order": (
            "order",
            np.asarray(ORDERS, dtype=str),
            {"long_name": "by decreasing SI, or a random permutation fixed per draw"},
        ),
        "fraction": (
            "fraction",
            np.asarray(fractions, dtype=np.float64),
            {"long_name": "fraction of each layer's units zeroed", **ONE},
        ),
        "draw": ("draw", np.arange(draws, dtype=np.int64), {"long_name": "random order draw"}),
    }
    data = {
        "ablation_accuracy": (
            ("group", "order", "fraction", "draw"),
            result["accuracy"],
            {
                "long_name": "accuracy with the first k units of the order zeroed in every "
                "layer of the group; selective order: draw 0 only (NaN elsewhere)",
                **ONE,
            },
        ),
        "ablation_base_accuracy": (
            (),
            result["base_accuracy"],
            {"long_name": "nothing zeroed", **ONE},
        ),
        "units_zeroed": (
            ("group", "fraction"),
            result["units_zeroed"],
            {"long_name": "units zeroed over the group's layers", "units": "units"},
        ),
        "group_units": (("group",), result["group_units"], {"units": "units"}),
    }
    attrs = {
        "group_layers": json.dumps({g.name: list(g.layers) for g in groups}),
        "ablation_mode": json.dumps(result["mode"]),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def normalised_auc(accuracy, fraction_dim="fraction"):
    """The selectivity paper's ablation AUC: each curve normalised by its maximum over the
    fractions (acc / max(acc) * 100), then the plain sum of its points."""
    curve = accuracy / accuracy.max(fraction_dim) * 100.0
    return curve.sum(fraction_dim, skipna=False)
