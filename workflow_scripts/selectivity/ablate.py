"""Progressive ablation curves of a checkpoint: accuracy on the ablation set with the k
most selective, or k random, channels of EVERY block of a module zeroed at once.

The curves are the shared metrics layer's (``workflow_scripts.metrics.ablation``), one
group per ablated module (its blocks ``layer<m-3>.<b>``, the group key m):
- k = round(fraction x channels), the same k in every block of the module (a ResNet
  module's blocks all have the same output width).
- selective order: each block's channels by decreasing SI (measured on the probe set,
  so the ablation set is never used to choose what to ablate); random order: for each
  draw, one permutation per block, drawn from (seed, draw, module, block) and therefore
  the same at every checkpoint (the paper's code drew a new one every batch).
- zeroing happens on the block output (after its final ReLU), so the next block and the
  residual path both see the zeros.
- speed: each batch runs once unablated (fraction 0, shared by every order and draw);
  the masks are stacked as a batch dimension after each module's first block.
"""

import logging

import numpy as np

from ..metrics.ablation import ORDERS, Group, units_to_zero
from ..metrics.ablation import ablation_curves as group_curves
from ..store.cube import CubeWriter
from . import network

log = logging.getLogger(__name__)


def module_groups(model, modules):
    """One ablation group per module: its blocks, zeroed together (key: the module)."""
    return [Group(f"layer{m - 3}", tuple(network.block_names(model, (m,))), m) for m in modules]


def ablation_curves(
    model, images, si, unit_module, unit_block, spec, batch_size, device, workers=0
):
    """(accuracy [modules, orders, fractions, draws] with NaN where undefined (selective
    draws > 0), unablated accuracy). ``si``: per unit, in ``network.blocks`` order."""
    groups = module_groups(model, spec.modules)
    per_block = {
        f"layer{m - 3}.{b}": np.asarray(si)[(unit_module == m) & (unit_block == b)]
        for m in spec.modules
        for b in sorted(set(unit_block[unit_module == m].tolist()))
    }
    out = group_curves(
        model,
        images.batches(np.arange(len(images)), batch_size, workers=workers, device=device),
        groups,
        per_block,
        fractions=spec.fractions,
        draws=spec.draws,
        seed=spec.seed,
        device=device,
    )
    return out["accuracy"], out["base_accuracy"]


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
        [[units_to_zero(f, widths[m]) for f in spec.fractions] for m in spec.modules],
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
    ablated=None,
):
    """Write the ablation part cube ``out`` for the checkpoints ``steps`` of one run.
    ``extract_part``: the open extract part cube of the same checkpoints (SI per unit);
    ``ablated``: the steps ablated (None: all but the initialisation), NaN rows elsewhere."""
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
            if step == 0 or (ablated is not None and step not in ablated):
                # the initialisation: nothing to ablate (chance accuracy); or a checkpoint
                # ablation.checkpoints leaves out
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
