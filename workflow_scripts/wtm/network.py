"""The WTM network: n_features -> hidden (ReLU or identity, no bias) -> 1 logit (no bias)."""

import torch

from ..models import build


def pattern_mlp(n_features, hidden, activation="relu"):
    """PyTorch default init (kaiming-uniform Linear layers), no biases, one logit."""
    return build(
        "mlp", widths=[n_features, hidden, 1], bias=False, activation=activation, squeeze=True
    )


def weights(model_state):
    """(W1 [hidden, features], w2 [hidden]) from a checkpoint's state dict of ``pattern_mlp``."""
    first, second = (v for k, v in model_state.items() if k.endswith("weight"))
    return first, second[0]


def forward_parts(W1, w2, x, activation):
    """Pre-activations z [S, H] and logits o [S] from raw weight tensors."""
    z = x @ W1.T
    a = torch.relu(z) if activation == "relu" else z
    return z, a @ w2
