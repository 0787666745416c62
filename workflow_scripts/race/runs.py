"""One run of a race stack: its seeds, initial weights and data order.

Network (paper, Section 5): x in R^1024 -> h = W1 x + b1 (d hidden, ReLU) -> o = W2 a + b2
(2 outputs, softmax cross-entropy). W1 [d, 1024] and W2 [2, d] ~ N(0, sigma_0^2), zero
biases. Each run keeps its own data order: a per-run seeded generator draws one
permutation of the training set per epoch, batches are consecutive slices of it.
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np
import torch

N_OUT = 2


@dataclass
class RunSpec:
    """One run of a stack: seed (init and data order), init std, optional init/masks."""

    seed: int
    sigma0: float
    init: dict | None = None  # W1, b1, W2, b2 (e.g. IMP rewind); overrides seed init
    mask_W1: torch.Tensor | None = None  # bool [d, D]; True = weight kept
    mask_W2: torch.Tensor | None = None  # bool [2, d]
    meta: dict = field(default_factory=dict)

    @property
    def masked(self):
        return self.mask_W1 is not None or self.mask_W2 is not None


def derive_seed(seed, stream):
    """Independent 32-bit seeds per (seed, stream): 0 = init, 1 = data order."""
    return int(np.random.SeedSequence([int(seed), int(stream)]).generate_state(1)[0])


def init_weights(seed, sigma0, hidden, n_in=1024):
    gen = torch.Generator().manual_seed(derive_seed(seed, 0))
    return {
        "W1": torch.randn(hidden, n_in, generator=gen).mul_(sigma0),
        "b1": torch.zeros(hidden),
        "W2": torch.randn(N_OUT, hidden, generator=gen).mul_(sigma0),
        "b2": torch.zeros(N_OUT),
    }


def order_generator(seed):
    return torch.Generator().manual_seed(derive_seed(seed, 1))


def epoch_order(generator, n):
    """The sample order of one epoch (a permutation of range(n))."""
    return torch.randperm(n, generator=generator)


def tensor_digest(*tensors):
    h = hashlib.sha1()
    for t in tensors:
        if t is not None:
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]
