"""The resolved parameters of the samplesets artifacts, as frozen dataclasses (no torch).

The plan builds them from the config with every value resolved (the defaults are here),
so artifact ids hash resolved values (``workflow_scripts.specs.identity``); jobs get
``specs.params`` of them through ``params:`` and rebuild them with ``specs.from_params``.
Fields declared with ``run_setting`` cannot change a result: they are in neither ids nor
params. Each figure's options (and the grid table's): ``figure_specs.py``.
"""

from dataclasses import dataclass

import numpy as np

from ..specs import run_setting


@dataclass(frozen=True)
class DataSpec:
    """A seeded split of a source's train images into train and validation sets."""

    source: str  # datasets registry name: fashion_mnist | mnist
    n_train: int
    n_validation: int
    split_seed: int
    scale: str = "unit"  # pixels / 255, flattened to 784 features
    data_dir: str = run_setting("data", why="where the source lives, not what it holds")
    download: bool = run_setting(False, why="whether a missing source may be fetched")


@dataclass(frozen=True)
class Net:
    """A ReLU MLP of ``depth`` linear layers (depth - 1 hidden layers of ``width``)."""

    depth: int
    width: int
    loss: str

    @property
    def name(self):
        return f"{self.depth}x{self.width}_{self.loss}"


@dataclass(frozen=True)
class TrainSpec:
    depth: int
    width: int
    loss: str  # ce: softmax cross-entropy; mse: identity outputs vs one-hot targets
    n_in: int
    n_classes: int
    bias: tuple[bool, ...]  # one flag per linear layer: the paper's nets: layer 1 only
    init: str  # default (PyTorch's Linear init) | he | glorot
    lr: float
    betas: tuple[float, ...]
    eps: float
    # fused | foreach | for_loop: the same Adam, different kernels (rounding differs);
    # torch runs the one asked for on the CPU and on CUDA alike, so it needs no device
    # resolution (torch.optim.Adam: explicit fused / foreach flags are respected)
    adam_impl: str
    batch_size: int
    n_train: int
    steps_per_epoch: int
    total_steps: int
    checkpoint_steps: tuple[int, ...]
    seed: int
    dtype: str = "float32"
    optimizer: str = "adam"


@dataclass(frozen=True)
class ExtractOptions:
    """How a run's count / metric cube is computed from its checkpoints."""

    split: str = "validation"
    active: str = "pre-activation > 0"
    counts: str = "exact int32"


@dataclass(frozen=True)
class ActivationOptions:
    """How a run's binary activation cube (time, node, sample) is computed and stored."""

    split: str = "validation"
    active: str = "pre-activation > 0"
    packing: str = "np.packbits along samples, bitorder little"
    node_chunk: int = run_setting(
        64, why="HDF5 chunk shape (nodes per chunk): how fast a node reads, not what is stored"
    )


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
