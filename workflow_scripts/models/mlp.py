"""Fully connected networks: Linear layers with ReLU (or no non-linearity) between them."""

from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "linear": nn.Identity}


class MLP(nn.Sequential):
    """widths [n_in, h_1, ..., n_out]; PyTorch's default Linear init, layers created
    in order (so a seed gives the same weights as hand-built nn.Linear layers).

    bias: one bool for every layer or one per layer (e.g. a bias in the first
    layer only). squeeze: drop a single output unit's axis (a logit).
    """

    def __init__(self, widths, bias=True, activation="relu", squeeze=False):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}"
            )
        n_layers = len(widths) - 1
        biases = [bias] * n_layers if isinstance(bias, bool) else list(bias)
        if n_layers < 1 or len(biases) != n_layers:
            raise ValueError(f"{n_layers} layers from widths {widths} but {len(biases)} bias flags")
        layers = []
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            layers.append(nn.Linear(n_in, n_out, bias=biases[i]))
            if i < n_layers - 1:
                layers.append(ACTIVATIONS[activation]())
        super().__init__(*layers)
        self.squeeze = squeeze
        self.activation = activation

    @property
    def linears(self):
        return [m for m in self if isinstance(m, nn.Linear)]

    def forward(self, x):
        out = super().forward(x)
        return out.squeeze(-1) if self.squeeze else out
