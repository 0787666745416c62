"""Networks by name (a registry, as in open_lth): a new model is one module plus one line.

``build(name, **kwargs)`` imports the model's module on first use, so study plans can
check model names against ``NAMES`` without importing torch.
"""

import importlib

# name -> "module:callable" (modules of this package, or torchvision's unmodified
# constructors)
REGISTRY = {
    "mlp": "workflow_scripts.models.mlp:MLP",
    "narrow_resnet18": "workflow_scripts.models.narrow_resnet:narrow_resnet18",
    "narrow_resnet34": "workflow_scripts.models.narrow_resnet:narrow_resnet34",
    "resnet18": "torchvision.models:resnet18",
    "resnet34": "torchvision.models:resnet34",
    "resnet50": "torchvision.models:resnet50",
}
NAMES = tuple(REGISTRY)


def build(name, **kwargs):
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(NAMES)}") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)(**kwargs)
