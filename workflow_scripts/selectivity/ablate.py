"""Progressive ablation curves of a checkpoint: accuracy on the ablation set with the k
most selective, or k random, channels of EVERY block of a module zeroed at once.

- k = round(fraction x channels), the same k in every block of the module (a ResNet
  module's blocks all have the same output width).
- selective order: each block's channels by decreasing SI (measured on the probe set,
  so the ablation set is never used to choose what to ablate); random order: for each
  draw, one permutation per block, drawn from (seed, draw, module, block) and therefore
  the same at every checkpoint (the paper's code drew a new one every batch).
- zeroing happens on the block output (after its final ReLU), so the next block and the
  residual path both see the zeros.

Speed: the part of the network before the ablated module does not depend on the mask,
so each batch goes through it once; the module and everything after it then run for
many masks at once (the batch repeated once per mask, each copy multiplied by its own
channel mask).
"""

import logging
import math

import numpy as np
import torch

from ..store.cube import CubeWriter
from . import network
from .specs import MODULES

log = logging.getLogger(__name__)
ORDERS = ("selective", "random")
ROWS_PER_PASS = 4096  # images x masks per forward of the ablated module and beyond


def channels_to_ablate(fraction, channels):
    return int(math.floor(fraction * channels + 0.5))


def random_order(seed, draw, module, block, channels):
    return np.random.default_rng([seed, draw, module, block]).permutation(channels)


def masks(si, unit_module, unit_block, module, fractions, draws, seed):
    """[(order, fraction index, draw, mask [blocks, channels])] for one module; fraction 0
    is left out (it is the unablated network)."""
    blocks = sorted(set(unit_block[unit_module == module].tolist()))
    per_block = [si[(unit_module == module) & (unit_block == b)] for b in blocks]
    channels = len(per_block[0])
    orders = {("selective", 0): [np.argsort(-s, kind="stable") for s in per_block]}
    for d in range(draws):
        orders[("random", d)] = [random_order(seed, d, module, b, channels) for b in blocks]
    out = []
    for (order, draw), perms in orders.items():
        for fi, fraction in enumerate(fractions):
            k = channels_to_ablate(fraction, channels)
            if fraction == 0:
                continue
            mask = np.ones((len(blocks), channels), dtype=np.float32)
            for b, perm in enumerate(perms):
                mask[b, perm[:k]] = 0.0
            out.append((order, fi, draw, mask))
    return out


@torch.inference_mode()
def ablation_curves(
    model, images, si, unit_module, unit_block, spec, batch_size, device, workers=0
):
    """(accuracy [modules, orders, fractions, draws] with NaN where undefined (selective
    draws > 0), unablated accuracy)."""
    modules, fractions = list(spec.modules), list(spec.fractions)
    acc = np.full((len(modules), len(ORDERS), len(fractions), spec.draws), np.nan)
    plan = {
        m: masks(si, unit_module, unit_block, m, fractions, spec.draws, spec.seed) for m in modules
    }
    mask_tensors = {
        m: torch.as_tensor(np.stack([mk for *_, mk in plan[m]])).to(device) for m in modules
    }
    correct = {m: torch.zeros(len(plan[m]), dtype=torch.int64, device=device) for m in modules}
    base_correct, seen = 0, 0
    model = model.to(memory_format=torch.channels_last)  # ~1.4x faster on the CPU too
    for x, y in images.batches(np.arange(len(images)), batch_size, workers=workers, device=device):
        h = network.stem(model, x.contiguous(memory_format=torch.channels_last))
        inputs = {}
        for m in MODULES:
            inputs[m] = h
            h = network.module_layer(model, m)(h)
        base_correct += int((network.head(model, h).argmax(1) == y).sum())
        seen += len(y)
        n = len(y)
        for m in modules:
            per_pass = max(1, ROWS_PER_PASS // n)
            for start in range(0, len(plan[m]), per_pass):
                mk = mask_tensors[m][start : start + per_pass]  # [M, blocks, channels]
                hm = (
                    inputs[m]
                    .repeat(len(mk), *([1] * (inputs[m].ndim - 1)))
                    .contiguous(memory_format=torch.channels_last)
                )
                for b, block in enumerate(network.module_layer(model, m)):
                    hm = block(hm) * mk[:, b].repeat_interleave(n, dim=0)[:, :, None, None]
                for later in MODULES[MODULES.index(m) + 1 :]:
                    hm = network.module_layer(model, later)(hm)
                pred = network.head(model, hm).argmax(1).view(len(mk), n)
                correct[m][start : start + len(mk)] += (pred == y[None]).sum(1)
    base = base_correct / seen
    for mi, m in enumerate(modules):
        for (order, fi, draw, _), c in zip(plan[m], correct[m].tolist()):
            acc[mi, ORDERS.index(order), fi, draw] = c / seen
        for oi, order in enumerate(ORDERS):
            acc[mi, oi, fractions.index(0.0), : 1 if order == "selective" else spec.draws] = base
    return acc, base


ABLATION_VARIABLES = {
    "ablation_accuracy": (
        ("checkpoint", "ablated_module", "order", "fraction", "draw"),
        "f4",
        {
            "long_name": "ablation-set accuracy with the first k channels of the "
            "order zeroed in every block of the module; selective "
            "order: draw 0 only (NaN elsewhere)"
        },
    ),
    "ablation_base_accuracy": (
        ("checkpoint",),
        "f4",
        {"long_name": "ablation-set accuracy, nothing ablated"},
    ),
    "ablation_k": (
        ("ablated_module", "fraction"),
        "i4",
        {"long_name": "channels zeroed per block"},
    ),
}


def ablation_layout(model, spec):
    sizes = {
        "ablated_module": len(spec.modules),
        "order": len(ORDERS),
        "fraction": len(spec.fractions),
        "draw": spec.draws,
    }
    coords = {
        "ablated_module": (
            ("ablated_module",),
            np.asarray(spec.modules, dtype=np.int32),
            {"long_name": "ablated module"},
        ),
        "order": (
            ("order",),
            np.asarray(ORDERS, dtype=str),
            {"long_name": "ablation order: by decreasing SI, or a random permutation"},
        ),
        "fraction": (
            ("fraction",),
            np.asarray(spec.fractions, dtype=np.float64),
            {"long_name": "fraction of each block's channels zeroed"},
        ),
        "draw": (
            ("draw",),
            np.arange(spec.draws, dtype=np.int32),
            {"long_name": "random order draw"},
        ),
    }
    widths = {m: c for m, _, _, c in network.blocks(model)}
    k = np.asarray(
        [[channels_to_ablate(f, widths[m]) for f in spec.fractions] for m in spec.modules],
        dtype=np.int32,
    )
    return sizes, coords, k


def ablate(
    checkpoints_dir,
    steps,
    extract_part,
    images,
    bn_images,
    model_spec,
    n_classes,
    in_channels,
    extract_spec,
    spec,
    out,
    attrs,
    device="cpu",
    workers=0,
):
    """Write the ablation part cube ``out`` for the checkpoints ``steps`` of one run.
    ``extract_part``: the open extract part cube of the same checkpoints (SI per unit)."""
    from .extract import CHECKPOINT, checkpoints, load_model, prepare_bn

    found = checkpoints(checkpoints_dir, steps)
    unit_module = extract_part["module"].values
    unit_block = extract_part["block"].values
    model = network.build(model_spec, n_classes, in_channels)
    sizes, coords, k = ablation_layout(model, spec)
    with CubeWriter(
        out,
        grow_dim="checkpoint",
        grow_dtype="i8",
        grow_attrs=CHECKPOINT,
        sizes=sizes,
        coords=coords,
        variables=ABLATION_VARIABLES,
        attrs=attrs,
        expected_length=len(set(steps)),
    ) as writer:
        writer.set("ablation_k", k)
        for step, state in found:
            if step == 0:  # the initialisation: nothing to ablate (chance accuracy)
                shape = (len(spec.modules), len(ORDERS), len(spec.fractions), spec.draws)
                writer.append(
                    step,
                    ablation_accuracy=np.full(shape, np.nan, np.float32),
                    ablation_base_accuracy=np.nan,
                )
                continue
            model = load_model(state, model_spec, n_classes, in_channels, device)
            prepare_bn(model, extract_spec.bn, bn_images, extract_spec.batch_size, device, workers)
            si = extract_part["si"].sel(checkpoint=step).values
            acc, base = ablation_curves(
                model,
                images,
                si,
                unit_module,
                unit_block,
                spec,
                extract_spec.batch_size,
                device,
                workers,
            )
            writer.append(
                step, ablation_accuracy=acc.astype(np.float32), ablation_base_accuracy=base
            )
            log.info(
                "step %d: ablation-set accuracy %.4f; at half the channels, selective/random "
                "accuracy per module %s",
                step,
                base,
                _half(acc, spec),
            )


def _half(acc, spec):
    fi = int(np.argmin(np.abs(np.asarray(spec.fractions) - 0.5)))
    return ", ".join(
        f"{m}: {acc[i, 0, fi, 0]:.3f}/{np.nanmean(acc[i, 1, fi]):.3f}"
        for i, m in enumerate(spec.modules)
    )
