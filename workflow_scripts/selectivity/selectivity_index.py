"""The regulariser's differentiable batch SI (Leavitt & Morcos 2020, Eq. 2-3 of the paper).

The SI itself (``si_from_means``: (mu_max - mu_-max) / (mu_max + mu_-max + eps) per unit, from
class MEANS), the class-mean accumulators and the noise floor are the shared metrics
layer's (``workflow_scripts.metrics.selectivity_index``); what stays here is what only
training needs: the SI of one training batch over the classes it holds, kept in the autograd
graph, and the regulariser's mean over blocks and modules.
"""

import torch

from ..metrics.selectivity_index import EPS, si_from_means


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
