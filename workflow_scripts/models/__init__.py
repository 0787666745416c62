"""Networks by name (a registry, as in open_lth): a new model is one module plus one line.

``build(name, **kwargs)`` imports the model's module on first use, so study plans can
check model names against ``NAMES`` without importing torch.
"""

import importlib

# name -> "module:callable" (modules of this package, or torchvision's unmodified
# constructors)
REGISTRY = {
    "mlp": "workflow_scripts.models.mlp:MLP",
}
NAMES = tuple(REGISTRY)


def build(name, **kwargs):
    try:
        target = REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(NAMES)}") from None
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)(**kwargs)
