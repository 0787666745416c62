"""The winner-take-most paper's claims, measured on the study's cubes.

The claims table ``results/claims/wtm.csv`` and the claims tests both call these.
Inputs (``WtmPlan.claims_inputs``), every seed of ``wtm.seeds``: ``full`` (fig2's run),
``ablations`` (fig3's runs), ``difficulty`` (fig4's run), ``evals`` (the noise sweep).

Seeds: a claim about one trained network (spread, difficult share) must hold in every
seed; the ablation claims compare seed means. A run whose final model predicts one
class for every test sample is *degenerate* (``metrics.single_class_prediction``): with
one hidden neuron, Layca cannot rotate the 1x1 output weight, so a seed that draws it
negative can never output a positive logit and lands at exactly 0.50 whatever it
learned. Such seeds are counted and named in the table, and left out of the means
(README, wtm results, explains why the paper's setting avoids them); a run whose every
seed is degenerate leaves the ablation claims not measured (``NotMeasured``).
"""

import numpy as np

from ..claims import Claims, NotMeasured, Result
from ..store.cube import open_cube
from . import metrics


def open_inputs(inputs, options):
    return {
        "full": [open_cube(p) for p in _paths(inputs["full"])],
        "ablations": [open_cube(p) for p in _paths(inputs["ablations"])],
        "difficulty": [open_cube(p) for p in _paths(inputs["difficulty"])],
        "evals": [open_cube(p) for p in _paths(inputs["evals"])],
    }


def _paths(value):
    return [value] if isinstance(value, str) else list(value)


CLAIMS = Claims("wtm", load=open_inputs)


def _held(flags):
    return f"{sum(flags)} of {len(flags)}"


def _range(values, fmt="{:.2f}"):
    lo, hi = min(values), max(values)
    return fmt.format(lo) if lo == hi else f"{fmt.format(lo)}-{fmt.format(hi)}"


def spread_of_run(ds):
    """WTM spread of one run: (growth of the negative-dL/da class, growth of the other
    class, every neuron > 2x, start, end), 5 most influential neurons, top-3 - bottom-3."""
    spread = metrics.wtm_spread(ds, n_neurons=5, k=3)
    neg, pos = spread["negative"], spread["positive"]
    first, last = neg.isel(epoch=0), neg.isel(epoch=-1)
    return {
        "growth": float(last.mean() / first.mean()),
        "other": float(pos.isel(epoch=-1).mean() / pos.isel(epoch=0).mean()),
        "every": bool((last > 2 * first).all()),
        "start": float(first.mean()),
        "end": float(last.mean()),
    }


def spread_holds(s):
    return s["growth"] > 3 and s["growth"] > 2 * s["other"] and s["every"]


@CLAIMS.claim(
    "wtm_spread",
    figure="fig2",
    statement="within the class whose mean dL/da is negative, patterns with larger average "
    "pre-activation are pushed up and the others down: the spread grows",
    threshold="top-3 minus bottom-3 pattern spread of that class, 5 most influential neurons: "
    "grows > 3x on average, > 2x the other class's growth, > 2x in every neuron; "
    "in every seed",
)
def wtm_spread(ctx):
    runs = [spread_of_run(ds) for ds in ctx["full"]]
    ok = [spread_holds(s) for s in runs]
    return Result(
        {
            "spread start": float(np.mean([s["start"] for s in runs])),
            "end": float(np.mean([s["end"] for s in runs])),
            "growth": float(np.mean([s["growth"] for s in runs])),
            "growth by seed": _range([s["growth"] for s in runs], "{:.1f}"),
            "other class growth": float(np.mean([s["other"] for s in runs])),
            "seeds where it holds": _held(ok),
        },
        holds=all(ok),
    )


def accuracy_by_run(cubes):
    """{run name: {"acc": [final test accuracy of the non-degenerate seeds], "degenerate":
    [seeds], "w2_negative": bool (every degenerate seed has a single negative output
    weight), "seeds": n}}, in input order."""
    out = {}
    for ds in cubes:
        row = out.setdefault(
            ds.attrs["run_name"], {"acc": [], "degenerate": [], "seeds": 0, "w2_negative": True}
        )
        row["seeds"] += 1
        if metrics.single_class_prediction(ds):
            row["degenerate"].append(metrics.run_seed(ds))
            w2 = ds["output_weight"].values
            row["w2_negative"] &= bool(len(w2) == 1 and w2[0] < 0)
        else:
            row["acc"].append(metrics.final_test_accuracy(ds))
    for name, row in out.items():
        if not row["acc"]:
            raise NotMeasured(
                f"every seed of run {name!r} is degenerate (one class predicted for every "
                "test sample): no accuracy to average; add seeds (wtm.seeds)"
            )
    return out


def _degenerate_note(rows):
    notes = [
        f"{name} {len(r['degenerate'])} of {r['seeds']} (seeds "
        f"{', '.join(map(str, r['degenerate']))}"
        + ("; frozen output weight < 0" if r["w2_negative"] else "")
        + ")"
        for name, r in rows.items()
        if r["degenerate"]
    ]
    return "; ".join(notes) or "none"


def ablation_summary(ctx):
    full = accuracy_by_run(ctx["full"])
    ablations = accuracy_by_run(ctx["ablations"])
    ((full_name, full_row),) = full.items()
    means = {name: float(np.mean(r["acc"])) for name, r in {**full, **ablations}.items()}
    spread = {name: float(np.std(r["acc"])) for name, r in {**full, **ablations}.items()}
    return full_name, full, ablations, means, spread


@CLAIMS.claim(
    "ablations_generalise_worse",
    figure="fig3",
    statement="without ReLU, with one hidden neuron or on less noisy data there is no "
    "intra-class spread and the models generalise poorly",
    threshold="each ablation's mean final test accuracy over its non-degenerate seeds "
    "(sigma_test of the cubes) at least 0.03 below the full model's seed mean",
)
def ablations_generalise_worse(ctx):
    full_name, full, ablations, means, spread = ablation_summary(ctx)
    values = {"full": means[full_name]}
    values.update({name: means[name] for name in ablations})
    values["std over seeds"] = ", ".join(f"{n} {spread[n]:.3f}" for n in [full_name, *ablations])
    values["degenerate seeds (left out)"] = _degenerate_note({**full, **ablations})
    return Result(values, holds=all(means[n] < means[full_name] - 0.03 for n in ablations))


@CLAIMS.claim(
    "ablations_about_80",
    figure="fig3",
    statement="these models (no ReLU, one hidden neuron, less noisy data) have poor "
    "accuracy, about 80 %",
    threshold="each ablation's mean final test accuracy over its non-degenerate seeds "
    "within 0.05 of 0.80",
)
def ablations_about_80(ctx):
    _, full, ablations, means, spread = ablation_summary(ctx)
    values = {
        name: f"{means[name]:.3f} +- {spread[name]:.3f} "
        f"({len(ablations[name]['acc'])} of {ablations[name]['seeds']} seeds)"
        for name in ablations
    }
    return Result(values, holds=all(abs(means[n] - 0.80) <= 0.05 for n in ablations))


@CLAIMS.claim(
    "difficult_share_dominates",
    figure="fig4",
    statement="the difficult group's share of the training loss rises and becomes dominant "
    "early (around epoch 6)",
    threshold="top-25 % difficulty group: share starts within 0.05 of 0.25, ends > 0.15 "
    "higher, passes 0.5 by epoch 50; in every seed",
)
def difficult_share_dominates(ctx):
    rows = []
    for ds in ctx["difficulty"]:
        share, _ = metrics.loss_share(ds, fraction=0.25)
        start, end = float(share.isel(epoch=0)), float(share.isel(epoch=-1))
        crossed = metrics.first_epoch_above(share, 0.5)
        rows.append(
            {
                "start": start,
                "end": end,
                "crossed": crossed,
                "holds": abs(start - 0.25) <= 0.05
                and end > start + 0.15
                and crossed is not None
                and crossed <= 50,
            }
        )
    crossings = [r["crossed"] for r in rows if r["crossed"] is not None]
    return Result(
        {
            "share start": float(np.mean([r["start"] for r in rows])),
            "end": float(np.mean([r["end"] for r in rows])),
            "passes 0.5 at epoch": (
                f"{int(np.median(crossings))} (median; {_range(crossings, '{:d}')})"
                if crossings
                else "never"
            ),
            "never passes in": f"{len(rows) - len(crossings)} of {len(rows)} seeds",
            "seeds where it holds": _held([r["holds"] for r in rows]),
        },
        holds=all(r["holds"] for r in rows),
    )


@CLAIMS.claim(
    "moderate_noise_generalises_best",
    figure="noise_generalization",
    statement="training noise sigma_train about 0.4 generalises best across test noise; low "
    "and high sigma_train are worse",
    threshold="sigma_train 0.4 has the best mean test accuracy over sigma_test, beats the "
    "highest sigma_train at >= 90 % of test levels and by > 0.03 on average",
)
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
    return Result(
        {**values, "best": best, "0.4 >= highest at share of levels": wins},
        holds=np.isclose(best, 0.4) and wins >= 0.9 and margin > 0.03,
    )
