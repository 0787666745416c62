"""Ablation curves: accuracy with the k most selective, or k random, units of every layer
of a group zeroed at once, k = round(fraction x the layer's units).

- selective order: each layer's units by decreasing SI (measured on the probe images, so
  the images scored are never used to choose what to zero); random order: for each draw,
  one permutation per layer, drawn from (seed, draw, group key, layer index) and therefore
  the same at every checkpoint (the selectivity paper's code drew one per batch).
- zeroing multiplies the layer's output by a 0/1 mask over its unit axis (axis 1: a conv
  layer's channels, a linear layer's outputs), so every later consumer sees the zeros.

Many masks in one pass (``stacked``): the network before a group's first layer does not
depend on the mask, so each batch runs once unablated (every group's first-layer output is
kept: the unablated accuracy, fraction 0, shared by every order and draw); then for a
chunk of M masks, a hook on the first layer replaces its output by the kept one repeated
M times, each copy multiplied by its mask, and everything after it runs on the M x n
stacked rows (the prefix runs on two images only, whose output is discarded). Identical
masks are evaluated once. A skip connection over the ablated layer (a tensor computed
before it and used after it) cannot see the stacked rows: the first chunk of every group is
checked against the plain path (the whole batch through the whole network for one mask);
a mismatch or a shape error means such a connection, and the group is then evaluated by
``repeated`` passes (the whole batch repeated M times through the whole network), or a
``SkipConnectionError`` is raised (``on_skip="error"``).
"""

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

from .layers import Taps, find_modules, prepare, to_device_layout

log = logging.getLogger(__name__)
ORDERS = ("selective", "random")
# bytes of the stacked first-layer output per pass: bigger passes run no faster on a CPU
# (cache) and would hold more memory (bench/bench_metrics.py)
STACK_BUDGET_BYTES = 16 * 2**20


class SkipConnectionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Group:
    name: str
    layers: tuple  # layer names zeroed together
    key: int  # part of the random orders' seed


def units_to_zero(fraction, units):
    return int(math.floor(fraction * units + 0.5))


def random_order(seed, draw, key, index, units):
    return np.random.default_rng([seed, draw, key, index]).permutation(units)


def group_masks(group, si, fractions, draws, seed):
    """({(order, fraction index, draw): mask row index}, masks [M, total units]) of one
    group, identical masks once; the unablated mask (k = 0 everywhere) is left out (it is
    the base pass). ``si``: {layer: SI per unit}."""
    widths = [len(si[name]) for name in group.layers]
    orders = {("selective", 0): [np.argsort(-si[n], kind="stable") for n in group.layers]}
    for d in range(draws):
        orders[("random", d)] = [
            random_order(seed, d, group.key, i, w) for i, w in enumerate(widths)
        ]
    rows, where = {}, {}
    for (order, draw), perms in orders.items():
        for fi, fraction in enumerate(fractions):
            parts = []
            for perm, width in zip(perms, widths):
                mask = np.ones(width, dtype=np.float32)
                mask[perm[: units_to_zero(fraction, width)]] = 0.0
                parts.append(mask)
            mask = np.concatenate(parts)
            if mask.all():
                continue
            where[(order, fi, draw)] = rows.setdefault(mask.tobytes(), len(rows))
    masks = np.stack([np.frombuffer(b, dtype=np.float32) for b in rows]) if rows else None
    return where, masks


def _split(masks, group, widths):
    edges = np.cumsum([0] + [widths[n] for n in group.layers])
    return {n: masks[:, a:b] for n, a, b in zip(group.layers, edges, edges[1:])}


def _scale(output, mask_rows):
    return output * mask_rows.view(*mask_rows.shape[:2], *([1] * (output.ndim - 2)))


class _Evaluator:
    def __init__(self, model, groups, channels_last, device, on_skip):
        self.model, self.groups = model, groups
        self.channels_last, self.device, self.on_skip = channels_last, device, on_skip
        names = [n for g in groups for n in g.layers]
        self.modules = find_modules(model, list(dict.fromkeys(names)))
        self.first, self.mode = {}, {g.name: "stacked" for g in groups}

    def base(self, x):
        """Unablated logits; keeps each group's first-layer output (``self.kept``)."""
        self.kept, firsts = {}, set(self.first.values())

        def keep(name, out):  # every group layer until the first pass told which is first
            if not firsts or name in firsts:
                self.kept[name] = out.clone()

        with Taps(self.modules, keep) as taps:
            taps.start_pass()
            logits = self.model(x)
        if not self.first:
            for g in self.groups:
                self.first[g.name] = min(g.layers, key=taps.order.index)
        return logits

    def stacked(self, x, group, masks):
        m, n, first = len(next(iter(masks.values()))), len(x), self.first[group.name]

        def fn(name, out):
            if name == first:  # kept output x each mask in one product: [m * n, units, ...]
                kept, mask = self.kept[first], masks[name]
                mask = mask.view(len(mask), 1, mask.shape[1], *([1] * (kept.ndim - 2)))
                stacked = kept.unsqueeze(0) * mask
                return to_device_layout(stacked.flatten(0, 1), self.channels_last)
            return _scale(out, masks[name].repeat_interleave(n, dim=0))

        with Taps({k: self.modules[k] for k in group.layers}, fn) as taps:
            taps.start_pass()
            logits = self.model(x[:2])
        if logits.shape[0] != m * n:
            raise RuntimeError(f"stacked pass gave {logits.shape[0]} rows, expected {m * n}")
        return logits

    def repeated(self, x, group, masks):
        m, n = len(next(iter(masks.values()))), len(x)

        def fn(name, out):
            return _scale(out, masks[name].repeat_interleave(n, dim=0))

        with Taps({k: self.modules[k] for k in group.layers}, fn) as taps:
            taps.start_pass()
            xr = to_device_layout(x.repeat(m, *([1] * (x.ndim - 1))), self.channels_last)
            return self.model(xr)

    def checked_stacked(self, x, group, masks):
        """The first stacked chunk of a group, checked against the plain path."""
        one = {k: v[:1] for k, v in masks.items()}
        plain = self.repeated(x, group, one)
        try:
            logits = self.stacked(x, group, masks)
            agree = torch.allclose(
                logits[: len(x)], plain, rtol=1e-3, atol=1e-3 * float(plain.abs().max())
            )
            why = "" if agree else "its logits differ from the plain path's"
        except RuntimeError as exc:
            logits, why = None, f"{type(exc).__name__}: {exc}"
        if not why:
            return logits
        text = (
            f"ablation group {group.name!r}: the masks cannot be stacked after layer "
            f"{self.first[group.name]!r} ({why}): the network has a skip connection over "
            "it (a tensor computed before the layer is used after it)"
        )
        if self.on_skip == "error":
            raise SkipConnectionError(
                text + "; ablate a layer no connection bypasses (e.g. the whole block), or "
                "evaluate by repeated passes (ablation on_skip: repeat, slower)"
            )
        log.warning("%s; evaluating it by repeated passes instead (slower)", text)
        self.mode[group.name] = "repeated"
        return self.repeated(x, group, masks)


@torch.inference_mode()
def ablation_curves(
    model,
    batches,
    groups,
    si,
    *,
    fractions,
    draws,
    seed,
    device="cpu",
    channels_last=True,
    on_skip="repeat",
    masks_per_pass=0,
):
    """{'accuracy' [group, order, fraction, draw] (NaN for selective draws > 0),
    'base_accuracy', 'units_zeroed' [group, fraction], 'group_units' [group], 'mode'
    {group: 'stacked' | 'repeated'}}. ``si``: {layer: SI per unit}; ``masks_per_pass``:
    masks per forward pass (0: as many as STACK_BUDGET_BYTES allows)."""
    if on_skip not in ("repeat", "error"):
        raise ValueError(f"on_skip must be 'repeat' or 'error', got {on_skip!r}")
    groups, fractions = list(groups), list(fractions)
    widths = {n: len(si[n]) for g in groups for n in g.layers}
    plans = [group_masks(g, si, fractions, draws, seed) for g in groups]
    tensors = [
        None if masks is None else _split(torch.as_tensor(masks).to(device), g, widths)
        for g, (_, masks) in zip(groups, plans)
    ]
    ev = _Evaluator(prepare(model, channels_last), groups, channels_last, device, on_skip)
    correct = [np.zeros(0 if m is None else len(m), dtype=np.int64) for _, m in plans]
    base_correct, seen, checked = 0, 0, set()
    for x, y in batches:
        x, y = to_device_layout(x.to(device), channels_last), y.to(device)
        n = len(y)
        base_correct += int((ev.base(x).argmax(1) == y).sum())
        for gi, g in enumerate(groups):
            if tensors[gi] is None:
                continue
            total = len(correct[gi])
            per_pass = masks_per_pass or _masks_per_pass(ev.kept, g, n)
            for start in range(0, total, per_pass):
                chunk = {k: v[start : start + per_pass] for k, v in tensors[gi].items()}
                if g.name not in checked:
                    logits = ev.checked_stacked(x, g, chunk)
                    checked.add(g.name)
                elif ev.mode[g.name] == "stacked":
                    logits = ev.stacked(x, g, chunk)
                else:
                    logits = ev.repeated(x, g, chunk)
                pred = logits.argmax(1).view(-1, n)
                correct[gi][start : start + len(pred)] += (pred == y[None]).sum(1).cpu().numpy()
        seen += n
    base = base_correct / seen
    acc = np.full((len(groups), len(ORDERS), len(fractions), draws), np.nan)
    for gi, (where, _) in enumerate(plans):
        for oi, order in enumerate(ORDERS):
            acc[gi, oi, :, : 1 if order == "selective" else draws] = base  # k = 0
        for (order, fi, draw), row in where.items():
            acc[gi, ORDERS.index(order), fi, draw] = correct[gi][row] / seen
    zeroed = [
        [sum(units_to_zero(f, widths[n]) for n in g.layers) for f in fractions] for g in groups
    ]
    return {
        "accuracy": acc,
        "base_accuracy": base,
        "units_zeroed": np.asarray(zeroed, dtype=np.int64),
        "group_units": np.asarray([sum(widths[n] for n in g.layers) for g in groups]),
        "mode": dict(ev.mode),
    }


def _masks_per_pass(kept, group, n):
    per_image = max(kept[name][0].numel() for name in group.layers if name in kept)
    return max(1, STACK_BUDGET_BYTES // (4 * per_image * n))
