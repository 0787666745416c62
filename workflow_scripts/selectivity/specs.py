"""The resolved parameters of the selectivity artifacts, as frozen dataclasses (no torch).

The plan builds them from the validated config with every value resolved (``plan.py``);
``workflow_scripts.specs.identity`` is what artifact ids hash, ``params`` what reaches a
job through ``params:`` and ``from_params`` rebuilds them in the job. Each figure's
options: ``figure_specs.py`` (``resolve.py`` resolves them from the config).
"""

from dataclasses import dataclass

from ..specs import run_setting

MODULES = (4, 5, 6, 7)  # the paper's names of torchvision's layer1..layer4
BATCH, EPOCH = "b", "e"  # checkpoint labels: b10 = after 10 batches, e2 = after 2 epochs


@dataclass(frozen=True)
class DataSpec:
    """Which images a study run sees: a training subset and two held-out sets.

    Held-out sets are drawn first (ablation set, then probe set), balanced over classes,
    disjoint when drawn from the same split; images of a held-out set drawn from the
    train split are left out of the training subset. ``n = 0``: every image left.
    """

    source: str  # datasets registry name (fashion_mnist, mnist, cifar10, imagefolder)
    folder: str  # imagefolder: <data_dir>/<folder>/{train,val}/<class>/<image>; else ""
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
    n_test: int = 0  # test-split images of the regulariser runs' final accuracy (0 = all)
    data_dir: str = run_setting("data", why="where the images live, not what they are")
    download: bool = run_setting(False, why="whether a missing source may be fetched")


@dataclass(frozen=True)
class ModelSpec:
    name: str  # models registry name
    width: int | None  # narrow_* models only (module widths width x 1, 2, 4, 8)
    stem: str | None  # narrow_* models only: imagenet | cifar


@dataclass(frozen=True)
class RegularizerSpec:
    """loss = CE - alpha * mean SI of the modules' blocks, from ``onset`` on."""

    alpha: float  # 0: no regulariser
    modules: tuple[int, ...]
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
    lr_milestones: tuple[int, ...]  # epochs at which lr is multiplied by lr_gamma
    lr_gamma: float
    amp: bool  # float16 autocast + gradient scaling (effective: true on CUDA only)
    channels_last: bool  # channels-last memory format (CPU and CUDA)
    checkpoint_batches: tuple[int, ...]
    checkpoint_epochs: tuple[int, ...]

    def checkpoint_labels(self):
        """'b<n>' after n batches, 'e<n>' after n epochs: batch ones first. The plan names
        extraction parts by them (it cannot know an image folder's batches per epoch)."""
        return [f"{BATCH}{b}" for b in self.checkpoint_batches] + [
            f"{EPOCH}{e}" for e in self.checkpoint_epochs
        ]

    def checkpoint_steps(self, batches_per_epoch):
        """{label: optimizer steps done} of the checkpoints (files are named by step)."""
        return {label: label_step(label, batches_per_epoch) for label in self.checkpoint_labels()}


def label_step(label, batches_per_epoch):
    kind, number = label[0], label[1:]
    if kind not in (BATCH, EPOCH) or not number.isdigit():
        raise ValueError(f"not a checkpoint label: {label!r}")
    return int(number) * (1 if kind == BATCH else int(batches_per_epoch))


def batches_per_epoch(n_train, batch_size):
    """Training batches per epoch (the last one may be short)."""
    return -(-int(n_train) // int(batch_size))


@dataclass(frozen=True)
class ExtractOptions:
    """How a run's checkpoints are measured (one part cube per group of checkpoints)."""

    batch_size: int  # evaluation batch; minibatch CKA uses full batches of this size
    bn: str  # recompute | running | batch (BatchNorm statistics at evaluation)
    floor_seed: int  # the label shuffle of the SI noise floor
    cka_precision: str = "float32"  # centred float32 Gram products | float64 (the reference)
    checkpoints_per_job: int = run_setting(
        0, why="how the checkpoints are grouped into jobs; each is measured alike"
    )


@dataclass(frozen=True)
class AblationOptions:
    modules: tuple[int, ...]
    fractions: tuple[float, ...]  # fraction of each block's channels zeroed (0 included)
    draws: int  # random orders (permutations fixed per draw)
    seed: int
    checkpoints: tuple[str, ...] | None = None  # labels of the checkpoints ablated; None: all

    def ablates(self, label):
        return self.checkpoints is None or label in self.checkpoints
