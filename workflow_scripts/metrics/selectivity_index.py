"""Per-unit class means and the class selectivity index (Leavitt & Morcos 2020).

SI = (mu_max - mu_-max) / (mu_max + mu_-max + eps) per unit, with mu_max the largest
class-conditional mean activation and mu_-max the mean of the other classes' means.
Class MEANS, not sums (the paper's code sums per class, which is right only on a
balanced set). A dead unit (every class mean 0) gets SI = 0 and is flagged, so that
averages can leave it out instead of counting a meaningless zero.

The noise floor: the same images with their labels shuffled once (``floor_shuffle``: same
class counts, no class signal), measured in the same pass.
"""

import numpy as np
import torch

EPS = 1e-6


def si_from_means(means, eps=EPS):
    """SI per unit from class means ``[..., classes, units]`` (classes with no image must
    be left out by the caller); returns (si, dead) of shape ``[..., units]``."""
    mu_max = means.max(dim=-2).values
    n = means.shape[-2]
    mu_rest = (means.sum(dim=-2) - mu_max) / (n - 1)
    si = (mu_max - mu_rest) / (mu_max + mu_rest + eps)
    dead = (means == 0).all(dim=-2)
    return si, dead


def floor_shuffle(labels, seed):
    """The labels in a fixed random order (same class counts, no class signal)."""
    return np.asarray(labels)[np.random.default_rng(seed).permutation(len(labels))]


class ClassMeans:
    """Class-conditional mean activations of units, accumulated batch by batch in float64
    (one-hot matmul: sums[class, unit] += onehot^T @ activations)."""

    def __init__(self, n_classes, n_units, device="cpu"):
        self.sums = torch.zeros(n_classes, n_units, dtype=torch.float64, device=device)
        self.counts = torch.zeros(n_classes, dtype=torch.float64, device=device)
        self.n_classes = n_classes

    def add(self, activations, labels, columns=slice(None)):
        """``activations`` [batch, k] of the units ``columns``; the counts are added by the
        caller once per batch with ``count``."""
        onehot = torch.nn.functional.one_hot(labels, self.n_classes).to(torch.float64)
        self.sums[:, columns] += onehot.T @ activations.to(torch.float64)

    def count(self, labels):
        self.counts += torch.bincount(labels, minlength=self.n_classes).to(torch.float64)

    def means(self):
        if (self.counts == 0).any():
            missing = torch.nonzero(self.counts == 0).flatten().tolist()
            raise ValueError(
                f"no image of class(es) {missing} in the evaluated set: class "
                "means (and SI) need every class"
            )
        return self.sums / self.counts[:, None]


def selectivity(true, floor):
    """{'class_mean' [unit, class] float32, 'si', 'si_floor', 'dead'} (numpy) from the
    accumulators of the true and the shuffled labels."""
    means = true.means()
    si, dead = si_from_means(means)
    si_floor, _ = si_from_means(floor.means())
    return {
        "class_mean": means.T.float().cpu().numpy(),
        "si": si.float().cpu().numpy(),
        "si_floor": si_floor.float().cpu().numpy(),
        "dead": dead.cpu().numpy(),
    }
