"""Fixtures of the metrics tests: small networks trained by a plain loop, saved as
checkpoints and loaded back, and the probe images they are measured on."""

import math

import numpy as np
import pytest
import torch

from workflow_scripts.models import build
from workflow_scripts.store.checkpoints import load_checkpoint, save_step


class Images:
    """Learnable images (the class shifts a class-specific pixel block) with the interface
    of ``selectivity.data`` (``labels``, ``batches(order, batch_size, ...)``)."""

    def __init__(self, n, seed=0, size=28, channels=1, classes=10):
        gen = torch.Generator().manual_seed(seed)
        self.y = torch.arange(n) % classes
        self.x = torch.randn(n, channels, size, size, generator=gen)
        for c in range(classes):
            self.x[self.y == c, :, 2 * c : 2 * c + 6, 4:12] += 1.5

    def __len__(self):
        return len(self.y)

    @property
    def labels(self):
        return self.y

    def batches(self, order, batch_size, start=0, seed=0, epoch=0, workers=0, device="cpu"):
        order = torch.as_tensor(order)
        for b in range(start, math.ceil(len(order) / batch_size)):
            pos = order[b * batch_size : (b + 1) * batch_size]
            yield self.x[pos].to(device), self.y[pos].to(device)

    def plain(self, batch_size):
        """(x, y) batches in order, for ``metrics.measure`` / ``ablation_curves``."""
        return self.batches(np.arange(len(self)), batch_size)


def train_and_reload(model, images, path, steps=40, flatten=False, lr=0.05):
    """A plain SGD loop; the weights saved as a checkpoint and loaded into a fresh copy."""
    torch.manual_seed(1)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    gen = np.random.default_rng(0)
    for _ in range(steps):
        idx = torch.as_tensor(gen.choice(len(images), 32, replace=False))
        x = images.x[idx].flatten(1) if flatten else images.x[idx]
        model.train()
        loss = torch.nn.functional.cross_entropy(model(x), images.y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    save_step(path, steps, model.state_dict())
    return load_checkpoint(path / f"step_{steps:09d}.pt")["model"]


@pytest.fixture(scope="module")
def resnet(tmp_path_factory):
    """(narrow ResNet-18 of width 4, trained 40 steps and reloaded from its checkpoint)."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build("narrow_resnet18", width=4, num_classes=10, in_channels=1)
    state = train_and_reload(model, Images(600, seed=3), tmp_path_factory.mktemp("resnet"))
    fresh = build("narrow_resnet18", width=4, num_classes=10, in_channels=1)
    fresh.load_state_dict(state)
    return fresh.eval()


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    widths = [784, 32, 24, 10]
    model = build("mlp", widths=widths, bias=[True, False, False])
    state = train_and_reload(
        model, Images(600, seed=3), tmp_path_factory.mktemp("mlp"), flatten=True
    )
    fresh = build("mlp", widths=widths, bias=[True, False, False])
    fresh.load_state_dict(state)
    return fresh.eval()


@pytest.fixture(scope="module")
def probe():
    return Images(230, seed=7)
