"""The resolved parameters of the selectivity artifacts, as frozen dataclasses (no torch).

The plan builds them from the validated config; their ``asdict`` is what artifact ids
hash and what reaches a job through ``params:``; jobs rebuild them with ``Spec(**p)``
(lists become tuples in ``from_params``).
"""

from dataclasses import asdict, dataclass, fields

MODULES = (4, 5, 6, 7)  # the paper's names of torchvision's layer1..layer4
BATCH, EPOCH = "b", "e"  # checkpoint label prefixes: b10 = after 10 batches, e2 = 2 epochs


@dataclass(frozen=True)
class DataSpec:
    """Which images a study run sees: a training subset and two held-out sets.

    Held-out sets are drawn first (ablation set, then probe set), balanced over classes,
    disjoint when drawn from the same split; images of a held-out set drawn from the
    train split are left out of the training subset. ``n = 0``: every image left.
    """

    source: str  # datasets registry name (fashion_mnist, mnist, cifar10, imagefolder)
    folder: str  # imagefolder: <data_dir>/<folder>/{train,val}/<class>/<image>
    n_train: int
    probe_split: str  # "train" or "test" (= val/ of an image folder)
    n_probe: int  # SI and CKA images
    ablate_split: str
    n_ablate: int  # ablation accuracy images
    n_bn: int  # training images on which BatchNorm statistics are recomputed
    seed: int
    image_size: int  # imagefolder: training crop / evaluation centre crop side
    resize: int  # imagefolder evaluation: shorter side resized to this before the crop
    augment: bool
    data_dir: str  # where the source lives and whether it may be downloaded do not
    download: bool  # change the data: ``identity`` leaves them out

    def identity(self):
        return {k: v for k, v in asdict(self).items() if k not in ("data_dir", "download")}


@dataclass(frozen=True)
class ModelSpec:
    name: str  # models registry name
    width: int  # narrow_* models only (module widths width x 1, 2, 4, 8)
    stem: str  # narrow_* models only: imagenet | cifar


@dataclass(frozen=True)
class RegularizerSpec:
    """loss = CE - alpha * mean SI of the modules' blocks, from ``onset`` on."""

    alpha: float  # 0: no regulariser
    modules: tuple
    onset: float
    onset_unit: str  # batches | epochs


NO_REGULARIZER = RegularizerSpec(alpha=0.0, modules=(), onset=0.0, onset_unit="batches")


@dataclass(frozen=True)
class TrainSpec:
    model: ModelSpec
    regularizer: RegularizerSpec
    seed: int
    epochs: int
    batch_size: int
    lr: float
    momentum: float
    weight_decay: float
    lr_milestones: tuple  # epochs at which lr is multiplied by lr_gamma
    lr_gamma: float
    amp: bool  # CUDA only: float16 autocast + gradient scaling
    channels_last: bool  # CUDA only
    checkpoint_batches: tuple
    checkpoint_epochs: tuple

    @classmethod
    def from_params(cls, p):
        p = dict(p)
        p["model"] = ModelSpec(**p["model"])
        r = dict(p["regularizer"])
        p["regularizer"] = RegularizerSpec(**{**r, "modules": tuple(r["modules"])})
        for key in ("lr_milestones", "checkpoint_batches", "checkpoint_epochs"):
            p[key] = tuple(p[key])
        return cls(**p)

    def checkpoint_labels(self):
        return checkpoint_labels(self.checkpoint_batches, self.checkpoint_epochs)


@dataclass(frozen=True)
class ExtractSpec:
    batch_size: int  # evaluation batch; minibatch CKA uses full batches of this size
    bn: str  # recompute | running | batch (BatchNorm statistics at evaluation)
    floor_seed: int  # the label shuffle of the SI noise floor


@dataclass(frozen=True)
class AblationSpec:
    modules: tuple
    fractions: tuple  # fraction of each block's channels zeroed (0 included)
    draws: int  # random orders (permutations fixed per draw)
    seed: int

    @classmethod
    def from_params(cls, p):
        return cls(
            modules=tuple(p["modules"]),
            fractions=tuple(p["fractions"]),
            draws=int(p["draws"]),
            seed=int(p["seed"]),
        )


def checkpoint_labels(batches, epochs):
    """'b<n>' after n batches, 'e<n>' after n epochs, in training order (batch ones first
    at equal times is irrelevant: the trainer resolves both to batch counts)."""
    return [f"{BATCH}{int(b)}" for b in sorted(set(batches))] + [
        f"{EPOCH}{int(e)}" for e in sorted(set(epochs))
    ]


def parse_label(label):
    """('b', 10) from 'b10'."""
    kind, number = label[0], label[1:]
    if kind not in (BATCH, EPOCH) or not number.isdigit():
        raise ValueError(f"not a checkpoint label: {label!r}")
    return kind, int(number)


def label_step(label, batches_per_epoch):
    kind, n = parse_label(label)
    return n if kind == BATCH else n * int(batches_per_epoch)


def spec_fields(cls):
    return [f.name for f in fields(cls)]
