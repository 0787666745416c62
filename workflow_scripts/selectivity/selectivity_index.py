"""The class selectivity index (Leavitt & Morcos 2020) and the regulariser built on it.

SI = (mu_max - mu_-max) / (mu_max + mu_-max + eps) per unit, with mu_max the largest
class-conditional mean activation and mu_-max the mean of the other classes' means.
Class MEANS, not sums (the paper's code sums per class, which is right only on a
balanced set). A dead unit (every class mean 0) gets SI = 0 and is flagged, so that
averages can leave it out instead of counting a meaningless zero.
"""

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


def batch_si(activations, labels, n_classes, eps=EPS):
    """Mean SI over the units of one block on a training batch, differentiable.

    ``activations`` [batch, units] (spatial means); class means over the classes present
    in the batch only. Returns None when fewer than two classes are present (SI is
    undefined with one class).
    """
    onehot = torch.nn.functional.one_hot(labels, n_classes).to(activations.dtype)
    counts = onehot.sum(dim=0)
    present = counts > 0
    if int(present.sum()) < 2:
        return None
    means = (onehot.T @ activations)[present] / counts[present, None]
    si, _ = si_from_means(means, eps)
    return si.mean()


def regulariser_term(block_activations, block_modules, labels, n_classes):
    """mu_SI of the paper's Eq. 2: block SI -> mean over each module's blocks -> mean over
    modules. ``block_activations``: [batch, channels] per block (float32);
    ``block_modules``: the module of each block. None when SI is undefined."""
    per_module = {}
    for act, module in zip(block_activations, block_modules):
        si = batch_si(act, labels, n_classes)
        if si is None:
            return None
        per_module.setdefault(module, []).append(si)
    return torch.stack([torch.stack(v).mean() for v in per_module.values()]).mean()
