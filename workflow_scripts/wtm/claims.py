"""The winner-take-most paper's claims, measured on the study's cubes.

The claims table ``results/claims/wtm.csv`` and the claims tests both call these.
Inputs (``WtmPlan.claims_inputs``): ``full`` (fig2's run), ``ablations`` (fig3's runs),
``difficulty`` (fig4's run), ``evals`` (the noise sweep).
"""

import numpy as np

from ..claims import Claims, Result
from ..store.cube import open_cube
from . import metrics


def open_inputs(inputs, options):
    return {"full": open_cube(inputs["full"]),
            "ablations": [open_cube(p) for p in _paths(inputs["ablations"])],
            "difficulty": open_cube(inputs["difficulty"]),
            "evals": [open_cube(p) for p in _paths(inputs["evals"])]}


def _paths(value):
    return [value] if isinstance(value, str) else list(value)


CLAIMS = Claims("wtm", load=open_inputs)


@CLAIMS.claim(
    "wtm_spread", figure="fig2",
    statement="within the class whose mean dL/da is negative, patterns with larger average "
              "pre-activation are pushed up and the others down: the spread grows",
    threshold="top-3 minus bottom-3 pattern spread of that class, 5 most influential neurons: "
              "grows > 3x on average, > 2x the other class's growth, > 2x in every neuron")
def wtm_spread(ctx):
    spread = metrics.wtm_spread(ctx["full"], n_neurons=5, k=3)
    neg, pos = spread["negative"], spread["positive"]
    first, last = neg.isel(epoch=0), neg.isel(epoch=-1)
    growth_neg = float(last.mean() / first.mean())
    growth_pos = float(pos.isel(epoch=-1).mean() / pos.isel(epoch=0).mean())
    every = bool((last > 2 * first).all())
    return Result({"spread start": float(first.mean()), "end": float(last.mean()),
                   "growth": growth_neg, "other class growth": growth_pos,
                   "every neuron > 2x": every},
                  holds=growth_neg > 3 and growth_neg > 2 * growth_pos and every)


@CLAIMS.claim(
    "ablations_generalise_worse", figure="fig3",
    statement="without ReLU, with one hidden neuron or on less noisy data there is no "
              "intra-class spread and test accuracy is about 80 %",
    threshold="every ablation's final test accuracy (sigma_test of the cubes) at least 0.03 "
              "below the full model's")
def ablations_generalise_worse(ctx):
    full = metrics.final_test_accuracy(ctx["full"])
    ablated = {_run_name(ds): metrics.final_test_accuracy(ds) for ds in ctx["ablations"]}
    return Result({"full": full, **ablated},
                  holds=all(acc < full - 0.03 for acc in ablated.values()))


@CLAIMS.claim(
    "difficult_share_dominates", figure="fig4",
    statement="the difficult group's share of the training loss rises and becomes dominant "
              "early (around epoch 6)",
    threshold="top-25 % difficulty group: share starts within 0.05 of 0.25, ends > 0.15 "
              "higher, passes 0.5 by epoch 50")
def difficult_share_dominates(ctx):
    share, _ = metrics.loss_share(ctx["difficulty"], fraction=0.25)
    start, end = float(share.isel(epoch=0)), float(share.isel(epoch=-1))
    crossed = metrics.first_epoch_above(share, 0.5)
    return Result({"share start": start, "end": end,
                   "passes 0.5 at epoch": crossed if crossed is not None else "never"},
                  holds=abs(start - 0.25) <= 0.05 and end > start + 0.15
                  and crossed is not None and crossed <= 50)


@CLAIMS.claim(
    "moderate_noise_generalises_best", figure="noise_generalization",
    statement="training noise sigma_train about 0.4 generalises best across test noise; low "
              "and high sigma_train are worse",
    threshold="sigma_train 0.4 has the best mean test accuracy over sigma_test, beats the "
              "highest sigma_train at >= 90 % of test levels and by > 0.03 on average")
def moderate_noise_generalises_best(ctx):
    acc = {}
    for ds in ctx["evals"]:
        acc.setdefault(float(ds.attrs["sigma_train"]), []).append(ds["test_accuracy"].values)
    mean = {s: np.mean(v, axis=0) for s, v in sorted(acc.items())}
    best = max(mean, key=lambda s: mean[s].mean())
    moderate = min(mean, key=lambda s: abs(s - 0.4))
    high = max(mean)
    wins = float(np.mean(mean[moderate] >= mean[high]))
    margin = float(mean[moderate].mean() - mean[high].mean())
    values = {f"mean acc sigma_train {s:g}": float(m.mean()) for s, m in mean.items()}
    return Result({**values, "best": best, "0.4 >= highest at share of levels": wins},
                  holds=np.isclose(best, 0.4) and wins >= 0.9 and margin > 0.03)


def _run_name(ds):
    return ds.attrs["run_name"]
