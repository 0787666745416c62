"""Cross-field checks of the selectivity config: values valid one by one that contradict
each other, named by key, reported before any job runs (``config_check``)."""

import math

from .. import datasets, models
from .resolve import ablated_labels, checkpoint_labels, figure_options
from .specs import BATCH, MODULES

STUDY = "selectivity"
SPLITS = ("train", "test")


def config_problems(config):
    s = config[STUDY]
    problems = _model_problems(s) + _data_problems(s)
    problems += _schedule_problems(s, batches_per_epoch(s))
    a = s["ablation"]["fractions"]
    if 0 not in a:
        problems.append(
            "config key selectivity.ablation.fractions: must contain 0 (the "
            "unablated accuracy every curve is normalised by)"
        )
    for key, mods in (
        ("selectivity.regularizer.modules", s["regularizer"]["modules"]),
        ("selectivity.ablation.modules", s["ablation"]["modules"]),
    ):
        unknown = sorted(set(mods) - set(MODULES))
        if unknown:
            problems.append(
                f"config key {key}: unknown module(s) {unknown}; a ResNet has "
                f"modules {list(MODULES)} (torchvision's layer1..layer4)"
            )
    problems += _figure_problems(s) + _ablation_problems(s)
    if s["regularizer"]["alpha"] == 0:
        problems.append(
            "config key selectivity.regularizer.alpha: 0 means no regulariser; "
            "figs 6-7 compare regularised runs (negative alpha suppresses "
            "selectivity)"
        )
    return problems


def _model_problems(s):
    m = s["model"]
    if m["name"] not in models.NAMES or "resnet" not in m["name"]:
        resnets = [n for n in models.NAMES if "resnet" in n]
        return [
            f"config key selectivity.model.name: {m['name']!r} is not a ResNet of the "
            f"models registry (known: {', '.join(resnets)})"
        ]
    return []


def _data_problems(s):
    d = s["data"]
    problems = []
    if d["source"] not in datasets.NAMES:
        return [
            f"config key selectivity.data.source: unknown source {d['source']!r}; known: "
            f"{', '.join(datasets.NAMES)}"
        ]
    if d["source"] == datasets.IMAGE_FOLDER:
        if d["image_size"] < 1:
            problems.append(
                "config key selectivity.data.image_size: an image folder needs a "
                "crop size (ImageNet: 224)"
            )
        elif d["resize"] < d["image_size"]:
            problems.append(
                f"config keys selectivity.data.resize ({d['resize']}) and "
                f"selectivity.data.image_size ({d['image_size']}): the evaluation "
                "resize must not be smaller than the centre crop"
            )
    else:
        problems += _held_out_problems(s, datasets.source(d["source"]))
    if d["n_train"] and d["n_bn"] > d["n_train"]:
        problems.append(
            f"config keys selectivity.data.n_bn ({d['n_bn']}) and "
            f"selectivity.data.n_train ({d['n_train']}): BatchNorm statistics are "
            "recomputed on training images, more than the training subset has"
        )
    probe = d["probe"]["n"]
    if probe and probe < s["extract"]["batch_size"]:
        problems.append(
            f"config keys selectivity.data.probe.n ({probe}) and "
            f"selectivity.extract.batch_size ({s['extract']['batch_size']}): "
            "minibatch CKA needs at least one full batch of probe images"
        )
    return problems


def _held_out_problems(s, source):
    """Enough images per class for the balanced draws, in the order they are drawn."""
    d = s["data"]
    n_classes = len(source.classes)
    left = {split: min(source.per_class(split)) for split in SPLITS}
    problems = []
    draws = [
        ("selectivity.data.ablate.n", d["ablate"]["split"], d["ablate"]["n"]),
        ("selectivity.data.probe.n", d["probe"]["split"], d["probe"]["n"]),
        ("selectivity.data.n_train", "train", d["n_train"]),
    ]
    test_need = math.ceil(d["n_test"] / n_classes)
    if test_need > min(source.per_class("test")):
        problems.append(
            f"config key selectivity.data.n_test: {d['n_test']} images ({test_need} per class) "
            f"but the {source.name} test split has {min(source.per_class('test'))} per class"
        )
    for key, split, n in draws:
        need = math.ceil(n / n_classes)
        if n == 0:
            if left[split] == 0:
                problems.append(
                    f"config key {key}: 0 takes every image left in the {split} "
                    "split, but the held-out sets drawn before it took them all"
                )
            left[split] = 0
            continue
        if need > left[split]:
            problems.append(
                f"config key {key}: {n} images ({need} per class) but the {source.name} "
                f"{split} split has {left[split]} per class left after the held-out sets drawn "
                "before it (ablate, then probe, then the training subset)"
            )
        left[split] = max(0, left[split] - need)
    return problems


def batches_per_epoch(s):
    """Training batches per epoch when the plan can know it (None for image folders
    trained on every image: their size is known only once the tree is read)."""
    d = s["data"]
    if d["source"] not in datasets.SOURCES:
        return math.ceil(d["n_train"] / s["train"]["batch_size"]) if d["n_train"] else None
    n = d["n_train"]
    if not n:
        source = datasets.source(d["source"])
        held = sum(h["n"] for h in (d["probe"], d["ablate"]) if h["split"] == "train")
        n = sum(source.train_per_class) - held
    return math.ceil(n / s["train"]["batch_size"])


def _schedule_problems(s, bpe):
    epochs = s["train"]["epochs"]
    r = s["regularizer"]
    problems = []
    late = [e for e in s["checkpoints"]["epochs"] if e > epochs]
    if late:
        problems.append(
            f"config keys selectivity.checkpoints.epochs ({late}) and "
            f"selectivity.train.epochs ({epochs}): checkpoints after the end of "
            "training"
        )
    total = epochs * bpe if bpe else None
    if total is not None:
        late = [b for b in s["checkpoints"]["batches"] if b > total]
        if late:
            problems.append(
                f"config key selectivity.checkpoints.batches: {late} after the end "
                f"of training ({epochs} epochs x {bpe} batches = {total})"
            )
    if r["epochs"] > epochs:
        problems.append(
            f"config keys selectivity.regularizer.epochs ({r['epochs']}) and "
            f"selectivity.train.epochs ({epochs}): regulariser runs cannot train "
            "longer than the baseline runs they are compared with"
        )
    reg_epochs = r["epochs"] or epochs
    if bpe:
        late = [b for b in s["checkpoints"]["batches"] if b > reg_epochs * bpe]
        if late and r["epochs"]:
            problems.append(
                f"config keys selectivity.checkpoints.batches ({late}) and "
                f"selectivity.regularizer.epochs ({r['epochs']}): checkpoints after "
                "the end of the regulariser runs"
            )
        total = reg_epochs * bpe
    end = reg_epochs if r["onset_unit"] == "epochs" else total
    for key, onsets in (
        ("selectivity.regularizer.onsets", r["onsets"]),
        ("selectivity.regularizer.later_onset", [r["later_onset"]]),
    ):
        late = [o for o in onsets if end is not None and o >= end]
        if late:
            problems.append(
                f"config key {key}: onset(s) {late} {r['onset_unit']} at or after "
                f"the end of training ({end} {r['onset_unit']}: "
                "selectivity.regularizer.epochs, or train.epochs where that is 0)"
            )
    if reg_epochs not in s["checkpoints"]["epochs"]:
        problems.append(
            f"config keys selectivity.checkpoints.epochs ({s['checkpoints']['epochs']}) and "
            f"selectivity.regularizer.epochs ({r['epochs']}; 0: train.epochs, {epochs}): the "
            f"regulariser runs' last epoch ({reg_epochs}) must be a checkpoint epoch (figs 6-7 "
            "compare them with the baseline runs there)"
        )
    if r["later_onset"] <= 0:
        problems.append(
            "config key selectivity.regularizer.later_onset: fig6 compares "
            "regularising from the start (0) with a later onset, so it must be > 0"
        )
    return problems


def _ablation_problems(s):
    chosen = ablated_labels(s["ablation"]["checkpoints"])
    if chosen is None:
        return []
    unknown = sorted(set(chosen) - set(checkpoint_labels(s["checkpoints"])))
    if unknown:
        return [
            f"config key selectivity.ablation.checkpoints: {unknown} are not checkpoints of "
            "the runs (selectivity.checkpoints); ablate a subset of them, or all"
        ]
    if not [c for c in chosen if c != f"{BATCH}0"]:
        return [
            "config key selectivity.ablation.checkpoints: no trained checkpoint to ablate "
            "(the initialisation, b0, is never ablated)"
        ]
    return []


def _figure_problems(s):
    """Each figure shows modules the cubes hold (ablation figures: ablated ones)."""
    options, problems = figure_options(s), []
    ablated = set(s["ablation"]["modules"])
    for fig in ("fig3", "fig4", "fig8"):
        shown = set(options[fig].modules)
        if not shown or not shown <= ablated:
            problems.append(
                f"config key selectivity.figures.{fig}.modules: {sorted(shown)} must be a "
                f"non-empty subset of the ablated modules (selectivity.ablation.modules: "
                f"{sorted(ablated)})"
            )
    for fig, least in (("fig9", min(MODULES)), ("fig10", max(MODULES) - 1)):
        shown = options[fig].modules
        if not set(shown) <= set(MODULES) or min(shown, default=max(MODULES)) > least:
            problems.append(
                f"config key selectivity.figures.{fig}.modules: modules of {list(MODULES)}"
                + ("" if fig == "fig9" else ", one of them below 7 (compared with later ones)")
            )
    fig5 = options["fig5"]
    if not {fig5.module, fig5.later_module} <= set(MODULES) or fig5.module >= fig5.later_module:
        problems.append(
            "config keys selectivity.figures.fig5.module and later_module: two of the "
            f"modules {list(MODULES)}, the first before the second"
        )
    return problems
