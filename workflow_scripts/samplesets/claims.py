"""The samplesets paper's claims, measured on the study's cubes, with intervals over seeds.

The claims table (``plan.paths.claims()``) and the claims tests call these. Inputs
(``SamplesetsPlan.claims_inputs``): the cubes of every seed of the nets of Fig. 5
(``ce``, the paper's 9x320 CE), Fig. 9 (``mse``, 9x320 MSE), Fig. 10 (``shallow_mse``,
2x320 MSE) and of every planned net (``all``); options: the data source.

Each claim measures its figures per seed (``claim_measures``) and puts their mean, with
its t interval over seeds, against the threshold the paper's words set, on the paper's
side (``claims.Check``: reproduced, not reproduced, inconclusive). "Every layer" is the
smallest (or largest) value over the layers, taken per seed. Each threshold text names
its checks; ``tests/samplesets/test_claims_logic.py`` checks that each claim fails on
synthetic cubes showing the opposite picture.
"""

import math

import numpy as np

from ..claims import Check, Claims, NotMeasured, Result
from ..store.cube import open_cube
from . import claim_measures as cm
from . import metrics
from .claim_measures import check

VERY_EARLY_EPOCHS = 0.1  # "very early": the paper's Fig. 5 peaks at ~1e-2 epoch, 10x earlier
ONSET_FACTOR = 4  # "overlaps", on the paper's 5-decade log axis: within a factor 4 in steps
ALMOST_ALL = 0.9  # "almost all of the samples"
SILENT_F = 0.05  # "activate for almost no samples"
SLIGHT_DIP = 0.25  # "decreases slightly": at most a quarter of the peak lost


def open_inputs(inputs, options):
    def cubes(value):
        return [open_cube(p) for p in ([value] if isinstance(value, str) else value)]

    return {
        **{role: cubes(inputs[role]) for role in ("ce", "mse", "shallow_mse", "all")},
        **options,
    }


CLAIMS = Claims("samplesets", load=open_inputs)


def very_early(ctx):
    """Check: the latest per-seed layer peak of the CE net's f within VERY_EARLY_EPOCHS."""
    limit = VERY_EARLY_EPOCHS * int(ctx["ce"][0].attrs["steps_per_epoch"])
    return check("latest layer peak (steps)", cm.latest_layer_peaks(ctx["ce"]), limit, "below")


@CLAIMS.claim(
    "f_rises_then_falls",
    figure="fig5",
    statement="sample clusters first grow, then shrink: the activation fraction rises very "
    "early in training and falls for the rest of it",
    threshold="CE net, per layer at the peak of its seed-mean f curve, per seed: the "
    "smallest layer rise (peak - init) > 0 and the smallest fall (peak - end) > 0; the "
    f"latest per-seed layer peak < {VERY_EARLY_EPOCHS} epoch (t intervals over seeds)",
)
def f_rises_then_falls(ctx):
    f = cm.layer_points(ctx["ce"], "activation_fraction")
    rise, fall = f.peak - f.init, f.peak - f.end
    return Result(
        {
            "peak step by layer (seed mean)": list(f.peak_steps.values()),
            "rise by layer": cm.rounded(rise.mean(0)),
            "fall by layer": cm.rounded(fall.mean(0)),
            "latest layer peak step per seed": cm.latest_layer_peaks(ctx["ce"]),
        },
        checks=[
            check("smallest layer rise", rise.min(1), 0.0),
            check("smallest layer fall", fall.min(1), 0.0),
            very_early(ctx),
        ],
    )


@CLAIMS.claim(
    "first_layers_fall_faster",
    figure="fig5",
    statement="with cross-entropy the activation fraction falls faster in the first layer(s) "
    "than in deeper layers",
    threshold="CE net, f at the end, per seed: layer 1 minus the lowest deeper layer < 0, "
    "and the mean of the first third of the layers minus that of the rest < 0",
)
def first_layers_fall_faster(ctx):
    f = cm.layer_points(ctx["ce"], "activation_fraction")
    if len(f.layers) < 2:
        raise NotMeasured(f"needs 2 or more hidden layers; the CE net has {len(f.layers)}")
    end, k = f.end, len(cm.shallow_deep(f.layers)[0])
    return Result(
        {"f end by layer": cm.rounded(end.mean(0)), "first third": f.layers[:k]},
        checks=[
            check("layer 1 minus lowest deeper layer", end[:, 0] - end[:, 1:].min(1), 0.0, "below"),
            check("first third minus rest", end[:, :k].mean(1) - end[:, k:].mean(1), 0.0, "below"),
        ],
    )


@CLAIMS.claim(
    "most_nodes_see_most_samples_early",
    figure="fig4",
    statement="most nodes are exposed to most samples very early in training",
    threshold="CE net, each node at the peak of its layer's seed-mean f curve, per seed: the "
    "share of all hidden nodes (dead ones included) with f > 0.5 is > 0.5; the latest "
    f"per-seed layer peak < {VERY_EARLY_EPOCHS} epoch",
)
def most_nodes_see_most_samples_early(ctx):
    shares = [float(np.mean(now > 0.5)) for now, _ in cm.nodes_at_layer_peaks(ctx["ce"])]
    return Result(
        {"nodes with f > 0.5": cm.rounded(shares)},
        checks=[check("share of nodes with f > 0.5", shares, 0.5), very_early(ctx)],
    )


@CLAIMS.claim(
    "other_nodes_stay_silent",
    figure="fig4",
    statement="the nodes that are not exposed to most samples early activate for almost no "
    "samples during the entire training",
    threshold="CE net, per seed, of the hidden nodes with f <= 0.5 at the peak of their "
    f"layer's seed-mean f curve: the share whose f stays < {SILENT_F} from then to the end "
    "is > 0.5",
)
def other_nodes_stay_silent(ctx):
    nodes = cm.nodes_at_layer_peaks(ctx["ce"])
    if not any((now <= 0.5).any() for now, _ in nodes):
        raise NotMeasured("every node has f > 0.5 at its layer's peak: there are no others")
    silent = [float(np.mean(later[now <= 0.5] < SILENT_F)) for now, later in nodes]
    return Result(
        {
            "others silent to the end": cm.rounded(silent),
            "others above f = 0.5 later": cm.rounded(
                [np.mean(later[now <= 0.5] > 0.5) for now, later in nodes]
            ),
            "dead at the peak (of all nodes)": cm.rounded([np.mean(now == 0) for now, _ in nodes]),
        },
        checks=[check(f"share of the others with f < {SILENT_F} to the end", silent, 0.5)],
    )


@CLAIMS.claim(
    "fall_starts_with_loss_drop",
    figure="fig3",
    statement="the activation fraction starts to fall where the network's loss starts to fall",
    threshold="CE net, per seed: log2 of (median layer's f peak step / validation-loss onset "
    "step) within +-log2(4) = +-2 (the onset: from there on the loss stays >= 5 % of its "
    "total drop below its initial value)",
)
def fall_starts_with_loss_drop(ctx):
    onsets, medians, ratios = zip(*(cm.onset_ratio(ds, "val_loss") for ds in ctx["ce"]))
    if not np.isfinite(ratios).any():
        raise NotMeasured("no seed has both a loss onset and an f peak after step 0")
    bound = math.log2(ONSET_FACTOR)
    return Result(
        {"loss onset step per seed": list(onsets), "median f peak step per seed": list(medians)},
        checks=[
            check("log2(f peak / loss onset)", ratios, -bound),
            check("log2(f peak / loss onset)", ratios, bound, "below"),
        ],
    )


@CLAIMS.claim(
    "mse_deep_layers_peak_near_one",
    figure="fig9",
    statement="9-layer MSE networks: at their largest, the sample sets of the deeper layers "
    "hold almost every sample",
    threshold="MSE net, the deepest third of the layers at the peak of each one's seed-mean f "
    f"curve, per seed: the smallest f > {ALMOST_ALL}",
)
def mse_deep_layers_peak_near_one(ctx):
    f = cm.layer_points(ctx["mse"], "activation_fraction")
    deepest = f.layers[-max(1, math.ceil(len(f.layers) / 3)) :]  # the deepest third
    top = f.peak[:, [f.layers.index(lay) for lay in deepest]]
    return Result(
        {"f peak by layer": cm.rounded(f.peak.mean(0)), "deepest layers": deepest},
        checks=[check("smallest peak f of the deepest layers", top.min(1), ALMOST_ALL)],
    )


@CLAIMS.claim(
    "shallow_mse_falls_from_start",
    figure="fig10",
    statement="2-layer MSE networks (320 nodes): the activation fraction falls during the "
    "entire training, no early rise",
    threshold="shallow MSE net, every layer, per seed: the largest f after init minus f at "
    "init < 0 (no rise above the start), and f at the end minus f at init < 0",
)
def shallow_mse_falls_from_start(ctx):
    f = cm.layer_points(ctx["shallow_mse"], "activation_fraction")
    top = cm.per_layer(
        lambda lay: np.array([float(c.sel(layer=lay)[1:].max()) for c in f.curves]), f.layers
    )
    return Result(
        {
            "f init": cm.rounded(f.init.mean(0)),
            "f max after init": cm.rounded(top.mean(0)),
            "f end": cm.rounded(f.end.mean(0)),
        },
        checks=[
            check("largest rise above init", (top - f.init).max(1), 0.0, "below"),
            check("end minus init", (f.end - f.init).max(1), 0.0, "below"),
        ],
    )


@CLAIMS.claim(
    "predictability_rises_deeper_higher",
    figure="fig6",
    statement="binary node activations, especially of deeper layers, become more predictable "
    "from the class during training; deeper layers are consistently more predictable than "
    "shallower ones",
    threshold="CE net, per seed: at the end, each layer's p minus the layer below it (l+1 "
    "minus l, for every l) > 0; the slope over depth of the rise (p end - p init) > 0 "
    "(deeper layers rise more: the order grows in training rather than being there at "
    "init); the smallest layer rise > 0",
)
def predictability_rises_deeper_higher(ctx):
    p = cm.layer_points(ctx["ce"], "predictability")
    if len(p.layers) < 2:
        raise NotMeasured(f"needs 2 or more hidden layers; the CE net has {len(p.layers)}")
    slopes = cm.depth_slope(p.init, p.layers), cm.depth_slope(p.end, p.layers)
    pairs = [
        check(f"layer {b} minus {a} at the end", p.end[:, i + 1] - p.end[:, i], 0.0)
        for i, (a, b) in enumerate(zip(p.layers, p.layers[1:]))
    ]
    return Result(
        {
            "p init by layer": cm.rounded(p.init.mean(0)),
            "p end by layer": cm.rounded(p.end.mean(0)),
            "depth slope init, end": cm.rounded([s.mean() for s in slopes], 4),
        },
        checks=[  # the headline (first): the order of layers 1 and 2 at the end
            *pairs,
            check("slope of the rise over depth", slopes[1] - slopes[0], 0.0),
            check("smallest layer rise", (p.end - p.init).min(1), 0.0),
        ],
    )


@CLAIMS.claim(
    "informativeness_rises_dips_stays_low",
    figure="fig7",
    statement="informativeness rises, then decreases slightly, and stays below the maximum "
    "log 2 / log 10 = 0.3: single nodes remain poor predictors of the class",
    threshold="CE net, per layer at the peak of its seed-mean u curve, per seed: the largest "
    f"dip as a share of the peak < {SLIGHT_DIP} (slightly); the smallest rise (peak - init) "
    "> 0; the smallest dip (peak - end) > 0; the smallest gain (end - init) > 0; the largest "
    "node u < the bound for the actual class counts",
)
def informativeness_rises_dips_stays_low(ctx):
    u = cm.layer_points(ctx["ce"], "informativeness")
    u_max = float(ctx["ce"][0].attrs["max_informativeness"])
    node_max = [float(ds["informativeness"].max()) for ds in ctx["ce"]]
    dip = (u.peak - u.end) / u.peak
    return Result(
        {
            "u init": cm.rounded(u.init.mean(0)),
            "u peak": cm.rounded(u.peak.mean(0)),
            "u end": cm.rounded(u.end.mean(0)),
            "dip / peak by layer": cm.rounded(dip.mean(0)),
            "largest node u": round(max(node_max), 4),
            "bound": round(u_max, 4),
        },
        checks=[  # the headline (first): how large the dip is
            check("largest dip / peak", dip.max(1), SLIGHT_DIP, "below"),
            check("smallest rise", (u.peak - u.init).min(1), 0.0),
            check("smallest dip", (u.peak - u.end).min(1), 0.0),
            check("smallest gain, end - init", (u.end - u.init).min(1), 0.0),
            check("largest node u", node_max, u_max, "below"),
        ],
    )


@CLAIMS.claim(
    "networks_learn",
    figure="grid",
    statement="all networks converge: error below 5 % (>= 80 nodes per layer) and 7 % "
    "(20 nodes) on MNIST",
    threshold="every planned net: final validation error (seed mean; interval: seeds and the "
    "binomial error of the validation images) below the paper's 5 % (>= 80 nodes) / 7 % "
    "(20 nodes); the paper's grid is 18 nets on MNIST after 200 epochs",
)
def networks_learn(ctx):
    values, checks = {}, []
    groups = metrics.group_by_net(ctx["all"])
    for net, cubes in groups.items():
        est, seeds = cm.error_estimate(cubes)
        limit = 0.05 if int(cubes[0].attrs["width"]) >= 80 else 0.07
        values[net] = round(est.value, 4)
        checks.append(Check(f"{net} error", est, limit, "below", per_seed=seeds))
    other = " (the paper: MNIST; MLPs reach ~10 % on Fashion-MNIST)"
    note = (
        f"covers {len(groups)} of the paper's 18 nets ({', '.join(groups)}) on "
        + ctx["source"]
        + ("" if ctx["source"] == "mnist" else other)
    )
    return Result(values, checks=checks, note=note)
