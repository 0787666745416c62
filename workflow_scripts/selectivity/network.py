"""The networks of the study and their parts: modules 4-7, blocks, units, layers.

Works for torchvision's ResNets and the narrow ResNet of the models registry alike
(same attribute names: ``conv1 bn1 relu maxpool layer1..layer4 avgpool fc``).
"Module m" is ``layer{m-3}``; a unit is a channel of a block's output (after the
block's final ReLU), averaged over space. Hooks go on the blocks themselves, never on
a block's ``relu``: that one module is called two or three times per forward.
"""

import torch

from .. import models
from .specs import MODULES


def build(model_spec, num_classes, in_channels):
    """The network, built through the models registry (torchvision's constructors
    unmodified: they take 3 input channels; gray images are repeated to 3)."""
    if model_spec.name.startswith("narrow_"):
        return models.build(
            model_spec.name,
            width=model_spec.width,
            stem=model_spec.stem,
            num_classes=num_classes,
            in_channels=in_channels,
        )
    return models.build(model_spec.name, num_classes=num_classes)


def input_channels(model_spec, source_channels):
    return source_channels if model_spec.name.startswith("narrow_") else 3


def module_layer(model, module):
    return getattr(model, f"layer{module - 3}")


def block_channels(block):
    """Output channels of a residual block (BasicBlock: bn2, Bottleneck: bn3)."""
    last = getattr(block, "bn3", None) or block.bn2
    return last.num_features


def blocks(model, modules=MODULES):
    """[(module, index, block, channels)] in forward order."""
    return [
        (m, i, b, block_channels(b)) for m in modules for i, b in enumerate(module_layer(model, m))
    ]


def block_names(model, modules=MODULES):
    """``model.named_modules()`` names of the blocks ('layer1.0' ...), in ``blocks`` order."""
    return [f"layer{m - 3}.{i}" for m, i, _, _ in blocks(model, modules)]


def layer_names(model):
    """CKA layers: every block output ('4.0' ...) and the input of the FC layer ('fc')."""
    return [f"{m}.{i}" for m, i, _, _ in blocks(model)] + ["fc"]


def stem(model, x):
    return model.maxpool(model.relu(model.bn1(model.conv1(x))))


def head(model, h):
    return model.fc(torch.flatten(model.avgpool(h), 1))


def unit_coords(model):
    """module, block and channel of every unit, in the order of ``blocks``."""
    module, block, channel = [], [], []
    for m, i, _, c in blocks(model):
        module += [m] * c
        block += [i] * c
        channel += list(range(c))
    return module, block, channel


class BlockOutputs:
    """Forward hooks on every block: ``fn(index, output)`` sees each block's output as
    the block returns it (before any later in-place operation), in ``blocks`` order;
    the hook may return a replacement output (ablation). A context manager."""

    def __init__(self, model, fn, modules=MODULES):
        self.model, self.fn, self.modules = model, fn, modules
        self.handles = []

    def register(self):
        for k, (_, _, block, _) in enumerate(blocks(self.model, self.modules)):
            self.handles.append(block.register_forward_hook(self._hook(k)))
        return self

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles = []

    def __enter__(self):
        return self.register()

    def _hook(self, k):
        def hook(_module, _inputs, output):
            return self.fn(k, output)

        return hook

    def __exit__(self, *exc):
        self.remove()
        return False


def set_bn_mode(model, mode):
    """Evaluation-time BatchNorm: 'running' (eval mode, running statistics) or 'batch'
    (statistics of each evaluated batch: BN layers in train mode without updating their
    running statistics). 'recompute' is ``recompute_bn`` followed by 'running'."""
    model.eval()
    if mode == "batch":
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.train()
                m.track_running_stats = False
                m.running_mean = None
                m.running_var = None


@torch.no_grad()
def recompute_bn(model, batches):
    """Replace every BatchNorm's running statistics by the exact mean and (unbiased)
    variance over ``batches`` (cumulative average: momentum None), then eval mode."""
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    for x, _ in batches:
        model(x)
    for m, momentum in zip(bns, saved):
        m.momentum = momentum
    model.eval()
