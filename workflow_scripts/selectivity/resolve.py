"""The selectivity config block -> specs, every value resolved as the jobs will use it.

Resolved here, once, so that ids hash what a job computes:
- a setting that takes effect on one device only (``train.amp``: CUDA only) is resolved
  from the plan's device: a CPU build hashes, passes and records ``amp: false`` whatever
  the config says, because the CPU trains in float32 (``train.channels_last`` takes effect
  on both: on the CPU it trains the narrow ResNet ~1.4x faster, README);
- parameters that cannot change a result get a neutral value, so that changing them
  reruns nothing: ``data.folder`` outside image folders (only image folders are read from
  it) and ``model.width`` / ``model.stem`` for torchvision's ResNets (their constructors
  take neither: only the narrow ResNets are built from them);
- ``data_dir`` and ``data.download`` are run settings (``specs.run_setting``): a job reads
  them from the config it runs under.
"""

from .. import datasets
from ..specs import from_params
from .figure_specs import FIGURES, ClaimsOptions
from .specs import (
    BATCH,
    EPOCH,
    MODULES,
    AblationOptions,
    DataSpec,
    ExtractOptions,
    ModelSpec,
    RegularizerSpec,
    TrainSpec,
)

NARROW_PREFIX = "narrow_"  # the models registry's own narrow ResNets (width, stem)


def data_spec(s):
    d = s["data"]
    image_folder = d["source"] == datasets.IMAGE_FOLDER
    return DataSpec(
        source=d["source"],
        folder=d["folder"] if image_folder else "",
        n_train=int(d["n_train"]),
        probe_split=d["probe"]["split"],
        n_probe=int(d["probe"]["n"]),
        ablate_split=d["ablate"]["split"],
        n_ablate=int(d["ablate"]["n"]),
        n_bn=int(d["n_bn"]),
        n_test=int(d["n_test"]),
        seed=int(d["seed"]),
        image_size=int(d["image_size"]),
        resize=int(d["resize"]),
        augment=bool(d["augment"]),
    )


def data_label(spec):
    return f"{spec.folder if spec.source == datasets.IMAGE_FOLDER else spec.source}-n{spec.n_train}"


def model_spec(m):
    if m["name"].startswith(NARROW_PREFIX):
        return ModelSpec(name=m["name"], width=int(m["width"]), stem=m["stem"])
    return ModelSpec(name=m["name"], width=None, stem=None)


def regularizer(r, onset):
    return RegularizerSpec(
        alpha=float(r["alpha"]),
        modules=tuple(int(m) for m in r["modules"]),
        onset=float(onset),
        onset_unit=r["onset_unit"],
    )


def onsets(r):
    """Regulariser onsets of every run: fig7's, plus 0 and fig6's later onset."""
    return sorted({0.0, float(r["later_onset"]), *map(float, r["onsets"])})


def regulariser_end_label(s):
    """The checkpoint label at which the regulariser runs end (``e<regularizer.epochs>``,
    or ``e<train.epochs>`` where that is 0): where they are compared with the baseline
    runs of the same seeds (figs 6-7)."""
    return f"{EPOCH}{int(s['regularizer']['epochs']) or int(s['train']['epochs'])}"


def train_spec(s, seed, reg, device):
    t, c = s["train"], s["checkpoints"]
    epochs = int(t["epochs"])
    if reg.alpha != 0 and s["regularizer"]["epochs"]:
        epochs = int(s["regularizer"]["epochs"])  # the paper: regulariser runs to epoch 20
    cuda = device == "cuda"
    return TrainSpec(
        model=model_spec(s["model"]),
        regularizer=reg,
        seed=int(seed),
        epochs=epochs,
        batch_size=int(t["batch_size"]),
        lr=float(t["lr"]),
        momentum=float(t["momentum"]),
        weight_decay=float(t["weight_decay"]),
        lr_milestones=tuple(int(e) for e in t["lr_milestones"]),
        lr_gamma=float(t["lr_gamma"]),
        amp=bool(t["amp"]) and cuda,
        channels_last=bool(t["channels_last"]),
        checkpoint_batches=tuple(sorted({int(b) for b in c["batches"]})),
        checkpoint_epochs=tuple(sorted({int(e) for e in c["epochs"] if e <= epochs})),
    )


def extract_options(e):
    return ExtractOptions(
        batch_size=int(e["batch_size"]),
        bn=e["bn"],
        floor_seed=int(e["floor_seed"]),
        cka_precision=e["cka_precision"],
        checkpoints_per_job=int(e["checkpoints_per_job"]),
    )


def ablation_options(a):
    return AblationOptions(
        modules=tuple(int(m) for m in a["modules"]),
        fractions=tuple(float(f) for f in a["fractions"]),
        draws=int(a["draws"]),
        seed=int(a["seed"]),
        checkpoints=ablated_labels(a["checkpoints"]),
    )


def checkpoint_labels(c):
    """'b<n>' / 'e<n>' labels of a {batches, epochs} block, batch ones first."""
    return [f"{BATCH}{int(b)}" for b in sorted(set(c["batches"]))] + [
        f"{EPOCH}{int(e)}" for e in sorted(set(c["epochs"]))
    ]


def ablated_labels(checkpoints):
    """``ablation.checkpoints``: 'all' -> None, else their labels."""
    return None if checkpoints == "all" else tuple(checkpoint_labels(checkpoints))


# -- each figure's options and the claims options: the dataclass defaults, what
# selectivity.figures.<fig> sets, and what follows from the rest of the config (the model,
# the ablated modules, the regulariser setting)

LAST_MODULE = max(MODULES)


def figure_options(s):
    """{fig: options} for the ``selectivity`` block ``s`` of a validated config."""
    ablated = sorted(int(m) for m in s["ablation"]["modules"])
    draws = int(s["ablation"]["draws"])
    reg = _regulariser(s["regularizer"])
    derived = {
        "fig2": {"model": s["model"]["name"], "source": s["data"]["source"]},
        "fig3": {"modules": [m for m in ablated if m < LAST_MODULE], "draws": draws},
        "fig4": {"modules": [m for m in ablated if m == LAST_MODULE], "draws": draws},
        "fig5": {},
        "fig6": {k: v for k, v in reg.items() if k != "onsets"},
        "fig7": {k: v for k, v in reg.items() if k != "later_onset"},
        "fig8": {"modules": ablated, "draws": draws},
        "fig9": {},
        "fig10": {},
    }
    given = s["figures"]
    return {
        fig: from_params(cls, {**derived[fig], **given.get(fig, {})})
        for fig, cls in FIGURES.items()
    }


def claims_options(s):
    return from_params(ClaimsOptions, _regulariser(s["regularizer"]))


def _regulariser(r):
    return {
        "alpha": float(r["alpha"]),
        "modules": [int(m) for m in r["modules"]],
        "onset_unit": r["onset_unit"],
        "onsets": [float(o) for o in r["onsets"]],
        "later_onset": float(r["later_onset"]),
        "seeds": [int(x) for x in r["seeds"]],
    }
