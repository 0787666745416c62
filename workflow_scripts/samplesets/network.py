"""The paper's networks: ReLU MLPs from the models registry, bias in the first layer only."""

import torch
from torch import nn

from ..models import build


def build_net(spec, device="cpu"):
    """The net of a TrainSpec, initialised from the current torch seed.

    init ``default``: PyTorch's Linear init (kaiming-uniform weights with a = sqrt(5),
    i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the same bound for the bias);
    ``he``: kaiming_normal_ (fan_in, ReLU gain), zero bias; ``glorot``: xavier_uniform_
    (Keras' default), zero bias. The layers are created first (so ``default`` equals
    hand-built nn.Linear layers), then re-initialised in order.
    """
    widths = [spec.n_in] + [spec.width] * (spec.depth - 1) + [spec.n_classes]
    net = build("mlp", widths=widths, bias=list(spec.bias))
    if spec.init == "he":
        for layer in net.linears:
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    elif spec.init == "glorot":
        for layer in net.linears:
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
    elif spec.init != "default":
        raise ValueError(f"unknown init {spec.init!r}; choose default, he or glorot")
    return net.to(device=device, dtype=getattr(torch, spec.dtype))


def forward_all(net, x):
    """(hidden pre-activations [list of n x width], output [n x classes]) in one pass."""
    pre, h = [], x
    layers = net.linears
    for layer in layers[:-1]:
        z = layer(h)
        pre.append(z)
        h = torch.relu(z)
    return pre, layers[-1](h)
