"""The resolved parameters of the external study's artifacts (frozen dataclasses, no torch).

The plan builds them from the config (``runs.resolve``); ``specs.identity`` is what ids
hash, ``specs.params`` what a job's ``params:`` carry, ``specs.from_params`` rebuilds them in
the job. Run settings (``run_setting``) change no result: they are in neither.
"""

from dataclasses import dataclass

from ..specs import run_setting

MEASURED = ("selectivity", "samplesets", "cka")  # the metrics of the one measurement pass
METRICS = (*MEASURED, "ablation")
BN_MODES = ("running", "batch")


@dataclass(frozen=True)
class DataSpec:
    """The probe images: a seeded subset of one split of a datasets registry source."""

    source: str  # fashion_mnist | mnist | cifar10 | imagefolder
    folder: str  # imagefolder: <data_dir>/<folder>/{train,val}/...
    split: str  # train | test (= val/ of an image folder)
    n: int  # balanced over classes; 0 = every image of the split
    seed: int
    resize: int  # 0 = none
    crop: int  # 0 = none
    mean: tuple  # () = no normalisation
    std: tuple
    channels: int  # 0 = as stored; 3 repeats a gray channel
    flatten: bool
    data_dir: str = run_setting("data", why="where the files live, not what they hold")
    download: bool = run_setting(False, why="whether a missing source may be fetched")

    def transforms(self):
        return {
            "resize": self.resize,
            "crop": self.crop,
            "mean": list(self.mean),
            "std": list(self.std),
            "channels": self.channels,
            "flatten": self.flatten,
        }


@dataclass(frozen=True)
class ModelSpec:
    name: str  # models registry name, or package.module:factory
    args: dict  # keyword arguments of the constructor


@dataclass(frozen=True)
class LoadSpec:
    """How a checkpoint file becomes the model's weights (``loading``)."""

    state_key: str  # auto, or the key (dotted) holding the state dict
    prefix: str  # auto, or the key prefix to strip
    allow_globals: tuple  # "module:Name" classes weights-only loading may build


@dataclass(frozen=True)
class ExtractOptions:
    """How the measurement pass of one checkpoint is computed."""

    metrics: tuple  # of MEASURED
    layers: tuple  # unit layers (selectivity, sample sets)
    cka_layers: tuple
    batch_size: int  # evaluation batch = minibatch CKA batch
    floor_seed: int  # label shuffle of the SI noise floor
    cka_precision: str  # float32 (centred products) | float64
    bn: str  # running (eval mode) | batch (each batch's own statistics)
    workers: int = run_setting(0, why="DataLoader processes: speed only")


@dataclass(frozen=True)
class AblationOptions:
    groups: tuple  # ((name, (layer, ...)), ...): layers zeroed together
    fractions: tuple
    draws: int  # random orders
    seed: int
    on_skip: str  # repeat | error: a skip connection over an ablated layer
    channels_last: bool
    masks_per_pass: int = run_setting(0, why="masks per forward pass: speed and memory only")


@dataclass(frozen=True)
class Checkpoint:
    label: str  # its name in the store (time + path hash)
    path: str
    step: int | None
    epoch: float | None
