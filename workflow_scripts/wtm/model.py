"""The WTM network: n_features -> hidden (ReLU or identity, no bias) -> 1 logit (no bias)."""

import torch
from torch import nn

ACTIVATIONS = {"relu": torch.relu, "linear": lambda z: z}


class PatternMLP(nn.Module):
    """PyTorch default init (kaiming-uniform Linear layers), no biases, one logit."""

    def __init__(self, n_features, hidden, activation="relu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
        self.activation = activation
        self.hidden = nn.Linear(n_features, hidden, bias=False)
        self.out = nn.Linear(hidden, 1, bias=False)

    def forward(self, x):
        return self.out(ACTIVATIONS[self.activation](self.hidden(x))).squeeze(-1)


def forward_parts(W1, w2, x, activation):
    """Pre-activations z [S, H], activations a and logits o [S] from raw weight tensors."""
    z = x @ W1.T
    a = ACTIVATIONS[activation](z)
    return z, a, a @ w2
