"""Forward hooks on named modules: what a layer outputs, seen once per forward pass.

- ``find_modules(model, names)``: the modules of ``model.named_modules()`` names; an unknown
  name raises ``UnknownLayerError`` with the nearest names the model has.
- ``Taps``: a context manager hooking those modules; ``fn(name, output)`` runs inside the
  hook, so a consumer reduces (or copies) the output before any later in-place operation
  (an in-place ReLU after a linear layer, a residual ``+=``) touches it. A module that runs
  more than once in one forward pass (torchvision's blocks share ONE ``relu`` module, called
  two or three times) is refused with a message naming the parent to hook instead: its
  output would otherwise mean whichever call came last.
- ``unit_activations(output)``: [batch, units] float32: a linear layer's outputs as they
  are, a convolutional layer's channels averaged over every spatial position. Why the mean:
  it is the selectivity paper's unit (a channel averaged over height and width), it gives
  one number per unit and image whatever the resolution (units of layers with different
  spatial sizes are comparable), and a channel's spatial mean is > 0 exactly when the ReLU
  channel fires somewhere in the image (the sample-set statistics' "active").
"""

import difflib

import torch


class UnknownLayerError(ValueError):
    pass


class RepeatedModuleError(RuntimeError):
    pass


def find_modules(model, names):
    """{name: module} for ``names`` in ``model.named_modules()`` (order of ``names``)."""
    named = dict(model.named_modules())
    missing = [n for n in names if n not in named]
    if missing:
        raise UnknownLayerError(unknown_layers_message(missing, list(named), type(model).__name__))
    return {n: named[n] for n in names}


def unknown_layers_message(missing, known, model_name):
    parts = []
    for name in missing:
        near = difflib.get_close_matches(name, known, n=4, cutoff=0.5)
        parts.append(f"{name!r} (nearest: {', '.join(near) or 'none'})")
    top = [k for k in known if k and "." not in k]
    return (
        f"the model ({model_name}) has no layer {'; '.join(parts)}. Layers are "
        f"model.named_modules() names; its top-level modules: {', '.join(top[:20])}"
    )


def unit_activations(output):
    """[batch, units] float32 (module doc): conv channels averaged over space."""
    x = output.float()
    if x.ndim == 2:  # a copy: the caller may keep it past a later in-place operation
        return x.clone() if x.data_ptr() == output.data_ptr() else x
    if x.ndim < 2:
        raise ValueError(f"a layer output of shape {tuple(output.shape)} has no unit axis")
    return x.mean(dim=tuple(range(2, x.ndim)))


def n_units(output):
    return int(output.shape[1])


class Taps:
    """Forward hooks calling ``fn(name, output)`` for every module of ``modules``
    ({name: module}); ``fn`` may return a replacement output (ablation). Use as a context
    manager; ``start_pass()`` before each forward pass resets the repeated-call check;
    ``order`` lists the names in the order they ran in the last pass."""

    def __init__(self, modules, fn):
        self.modules, self.fn = dict(modules), fn
        self.handles, self.order = [], []

    def __enter__(self):
        for name, module in self.modules.items():
            self.handles.append(module.register_forward_hook(self._hook(name)))
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()
        self.handles = []
        return False

    def start_pass(self):
        self.order = []

    def _hook(self, name):
        def hook(_module, _inputs, output):
            if name in self.order:
                raise RepeatedModuleError(
                    f"layer {name!r} ran twice in one forward pass (a module shared by "
                    f"several calls, like a torchvision block's relu): hook the module "
                    f"that calls it, e.g. {name.rpartition('.')[0] or 'its parent'!r}"
                )
            if not isinstance(output, torch.Tensor):
                raise TypeError(
                    f"layer {name!r} returns a {type(output).__name__}, not a tensor: "
                    "name a module whose output is one tensor"
                )
            self.order.append(name)
            return self.fn(name, output)

        return hook


def to_device_layout(x, channels_last):
    """``x`` in channels-last memory format when asked and 4-D (the model converted once
    by ``prepare``), else as it is."""
    if channels_last and x.ndim == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def prepare(model, channels_last):
    """Channels-last weights for 4-D convolutions (~1.4x faster on the CPU too)."""
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model
