"""The resolved parameters of the samplesets artifacts, as frozen dataclasses (no torch).

The plan builds them from the config with every default filled in here, so artifact
ids hash fully resolved values; jobs get ``asdict`` of them through ``params:`` and
rebuild them with ``resolved(Spec, params)``.
"""

import re
from dataclasses import asdict, dataclass

import numpy as np

LOSSES = ("ce", "mse")
INITS = ("default", "he", "glorot")
NET_NAME = re.compile(r"^(\d+)x(\d+)_(ce|mse)$")


@dataclass(frozen=True)
class DataSpec:
    """A seeded split of a source's train images into train and validation sets."""

    source: str  # datasets registry name: fashion_mnist | mnist
    n_train: int
    n_validation: int
    split_seed: int
    scale: str = "unit"  # pixels / 255, flattened to 784 features
    data_dir: str = "data"  # where the source lives and whether it may be downloaded do
    download: bool = False  # not change the data: ``identity`` leaves them out

    def identity(self):
        return {k: v for k, v in asdict(self).items() if k not in ("data_dir", "download")}


@dataclass(frozen=True)
class Net:
    """A ReLU MLP of ``depth`` linear layers (depth - 1 hidden layers of ``width``)."""

    depth: int
    width: int
    loss: str

    @property
    def name(self):
        return f"{self.depth}x{self.width}_{self.loss}"

    @property
    def hidden_layers(self):
        return self.depth - 1


def parse_net(name):
    match = NET_NAME.match(str(name))
    if not match:
        raise ValueError(f"net name {name!r} is not '<depth>x<width>_<ce|mse>'")
    return Net(int(match.group(1)), int(match.group(2)), match.group(3))


@dataclass(frozen=True)
class TrainSpec:
    depth: int
    width: int
    loss: str  # ce: softmax cross-entropy; mse: identity outputs vs one-hot targets
    n_in: int
    n_classes: int
    bias: tuple  # one flag per linear layer: the paper's nets have a bias in layer 1 only
    init: str  # default (PyTorch's Linear init) | he | glorot
    lr: float
    betas: tuple
    eps: float
    adam_impl: str  # fused | foreach | for-loop: same algorithm, different kernels
    batch_size: int
    n_train: int
    steps_per_epoch: int
    total_steps: int
    checkpoint_steps: tuple
    seed: int
    dtype: str = "float32"
    optimizer: str = "adam"


def steps_per_epoch(n_train, batch_size):
    """Minibatches per epoch; the last one is smaller when batch_size does not divide n."""
    return -(-int(n_train) // int(batch_size))


def checkpoint_steps(total_steps, n_log, dense_until):
    """Every step 0..dense_until, then ``n_log`` log-spaced steps from step 1 to the end
    rounded to integers and deduplicated (1e-3 epoch is 0.8 of a step here), plus the end."""
    total = int(total_steps)
    steps = set(range(0, min(int(dense_until), total) + 1))
    if n_log > 0 and total >= 1:
        steps.update(int(s) for s in np.rint(np.geomspace(1, total, int(n_log))))
    steps.add(total)
    return tuple(sorted(s for s in steps if 0 <= s <= total))


def resolved(cls, options):
    """``cls(**options)`` with tuples for lists (hashable, frozen-looking specs)."""
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in options.items()})
