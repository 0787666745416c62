"""Per checkpoint, from one pass over the probe set: class means, SI, its noise floor,
accuracy and CKA; written as a part cube growing along ``checkpoint``.

The pass is the shared metrics layer's (``workflow_scripts.metrics.measure``): forward
hooks on the blocks (``layer1.0`` ... ``layer4.1``) reduce each block's output as the block
returns it: the spatial mean of every channel goes into the class-mean accumulators (true
labels, and the same images with shuffled labels for the noise floor), the flattened output
into its Gram matrix (minibatch CKA); a hook on ``avgpool`` does the same for the FC input.
CKA's Gram products are float32 products of batch-centred features with the HSIC in float64
(``extract.cka_precision: float32``, the default) or float64 products (the reference); the
two agree to 1e-6 (tests/selectivity/test_extract.py), and the cube says which was used.

BatchNorm at evaluation (``extract.bn``): ``recompute`` (default) replaces the running
statistics by their average over the data file's BatchNorm images (training images,
evaluation transform) before anything is measured; ``running`` uses the statistics as
saved (near their initial values for the first ~30 batches of training); ``batch``
normalises each probe batch by its own statistics.
"""

import logging

import numpy as np
import torch

from ..metrics.measure import measure as measure_layers
from ..metrics.selectivity_index import floor_shuffle
from ..store.checkpoints import checkpoint_steps, load_steps
from ..store.cube import CubeWriter
from . import network

log = logging.getLogger(__name__)


def checkpoints(checkpoints_dir, steps):
    """(step, checkpoint) of the run's checkpoints ``steps`` (each once, in step order);
    a step the run lacks raises FileNotFoundError naming the directory."""
    wanted = sorted({int(s) for s in steps})
    missing = sorted(set(wanted) - set(checkpoint_steps(checkpoints_dir)))
    if missing:
        raise FileNotFoundError(
            f"{checkpoints_dir} has no checkpoint of step(s) {missing}: the run was trained "
            "with other checkpoint settings; delete the run directory and rerun"
        )
    return load_steps(checkpoints_dir, wanted)


def load_model(state, model_spec, n_classes, in_channels, device):
    """The network of a checkpoint, on ``device``, in eval mode."""
    model = network.build(model_spec, n_classes, in_channels)
    model.load_state_dict(state["model"])
    return model.to(device).eval()


def prepare_bn(model, bn, bn_images, batch_size, device, workers=0):
    """Apply the BatchNorm choice (module doc) to a freshly loaded model."""
    if bn == "recompute":
        network.recompute_bn(
            model,
            bn_images.batches(
                np.arange(len(bn_images)), batch_size, workers=workers, device=device
            ),
        )
        network.set_bn_mode(model, "running")
    else:
        network.set_bn_mode(model, bn)


def measure(
    model, probe, n_classes, batch_size, floor_labels, device, workers=0, cka_precision="float32"
):
    """One pass over ``probe`` by the shared metrics layer (``metrics.measure``): {'class_mean'
    [unit, class], 'si', 'si_floor', 'dead', 'accuracy', 'cka' [layer, layer], 'cka_batches'}
    (numpy), units and CKA layers in ``network.layer_names`` order. The units are the block
    outputs; the CKA layers the block outputs and ``avgpool``'s output (the FC input).
    ``floor_labels``: the probe labels, shuffled (``floor_shuffle``)."""
    blocks = network.block_names(model)
    m = measure_layers(
        model,
        probe.batches(np.arange(len(probe)), batch_size, workers=workers, device=device),
        n_classes=n_classes,
        layers=blocks,
        cka_layers=blocks + ["avgpool"],
        floor_labels=floor_labels,
        batch_size=batch_size,
        cka_precision=cka_precision,
        device=device,
    )
    s = m.selectivity
    return {
        "class_mean": s["class_mean"],
        "si": s["si"],
        "si_floor": s["si_floor"],
        "dead": s["dead"].astype(np.int8),
        "accuracy": m.accuracy,
        "cka": m.cka,
        "cka_batches": m.cka_batches,
    }


def part_layout(model, classes):
    """Dimensions and coordinates shared by the part cubes and the run's cube."""
    module, block, channel = network.unit_coords(model)
    layers = network.layer_names(model)
    layer_module = [int(n.split(".")[0]) if n != "fc" else 8 for n in layers]
    sizes = {
        "unit": len(module),
        "class": len(classes),
        "layer": len(layers),
        "layer2": len(layers),
    }
    coords = {
        "unit": (("unit",), np.arange(len(module), dtype=np.int32), {"long_name": "unit index"}),
        "module": (
            ("unit",),
            np.asarray(module, dtype=np.int32),
            {"long_name": "ResNet module (4-7 = torchvision layer1-layer4)"},
        ),
        "block": (
            ("unit",),
            np.asarray(block, dtype=np.int32),
            {"long_name": "residual block within the module"},
        ),
        "channel": (
            ("unit",),
            np.asarray(channel, dtype=np.int32),
            {"long_name": "channel of the block output"},
        ),
        "class": (("class",), np.asarray(classes, dtype=str), {"long_name": "class name"}),
        "layer": (
            ("layer",),
            np.asarray(layers, dtype=str),
            {"long_name": "CKA layer: block output <module>.<block>, or fc (FC input)"},
        ),
        "layer2": (("layer2",), np.asarray(layers, dtype=str), {"long_name": "CKA layer"}),
        "layer_module": (
            ("layer",),
            np.asarray(layer_module, dtype=np.int32),
            {"long_name": "module of the layer (8 = FC input)"},
        ),
    }
    return sizes, coords


CHECKPOINT = {"long_name": "training batches done (0 = the initialisation)", "units": "batches"}
SINCE = " over the batches since the previous checkpoint (train mode, augmented)"
EXTRACT_VARIABLES = {
    "class_mean": (
        ("checkpoint", "unit", "class"),
        "f4",
        {
            "long_name": "class-conditional mean activation (spatial mean of the "
            "block output after its final ReLU) over the probe set"
        },
    ),
    "si": (("checkpoint", "unit"), "f4", {"long_name": "class selectivity index"}),
    "si_floor": (
        ("checkpoint", "unit"),
        "f4",
        {"long_name": "class selectivity index with shuffled probe labels (noise floor)"},
    ),
    "dead": (
        ("checkpoint", "unit"),
        "i1",
        {
            "long_name": "unit silent on every probe image (SI meaningless)",
            "flag_values": "0 1",
            "flag_meanings": "alive dead",
        },
    ),
    "accuracy": (("checkpoint",), "f4", {"long_name": "top-1 accuracy on the probe set"}),
    "epoch": (("checkpoint",), "f8", {"long_name": "training epochs done", "units": "epochs"}),
    "train_loss": (("checkpoint",), "f4", {"long_name": "training cross-entropy, mean" + SINCE}),
    "train_accuracy": (("checkpoint",), "f4", {"long_name": "training accuracy, mean" + SINCE}),
    "reg_si": (
        ("checkpoint",),
        "f4",
        {
            "long_name": "regularised mean batch SI (mu_SI) over the batches since the "
            "previous checkpoint; NaN when not regularised"
        },
    ),
    "lr": (("checkpoint",), "f4", {"long_name": "learning rate"}),
    "test_accuracy": (
        ("checkpoint",),
        "f8",
        {
            "long_name": "top-1 accuracy on the test images (data.n_test; 0: the whole test "
            "split) at the regulariser runs' last checkpoint; NaN elsewhere"
        },
    ),
    "test_images": (
        ("checkpoint",),
        "i4",
        {"long_name": "test images behind test_accuracy (0 where not measured)"},
    ),
    "cka": (
        ("checkpoint", "layer", "layer2"),
        "f8",
        {
            "long_name": "minibatch linear CKA (unbiased HSIC in float64; Gram products in "
            "the part's cka_precision) over the probe set"
        },
    ),
}


@torch.inference_mode()
def plain_accuracy(model, images, batch_size, device, workers=0):
    """(correct, images) of a plain evaluation pass over ``images``."""
    correct = 0
    for x, y in images.batches(np.arange(len(images)), batch_size, workers=workers, device=device):
        correct += int((model(x).argmax(1) == y).sum())
    return correct, len(images)


def extract(
    checkpoints_dir,
    steps,
    probe,
    bn_images,
    model_spec,
    n_classes,
    in_channels,
    classes,
    extract_spec,
    out,
    attrs,
    device="cpu",
    workers=0,
    test_images=None,
    test_steps=(),
):
    """Write the part cube ``out`` for the checkpoints ``steps`` of one run; at
    ``test_steps``, also the accuracy on ``test_images``."""
    found = checkpoints(checkpoints_dir, steps)
    floor_labels = floor_shuffle(probe.labels.numpy(), extract_spec.floor_seed)
    model = network.build(model_spec, n_classes, in_channels)
    sizes, coords = part_layout(model, classes)
    with CubeWriter(
        out,
        grow_dim="checkpoint",
        grow_dtype="i8",
        grow_attrs=CHECKPOINT,
        sizes=sizes,
        coords=coords,
        variables=EXTRACT_VARIABLES,
        attrs=attrs,
        expected_length=len(set(steps)),
    ) as writer:
        for step, state in found:
            model = load_model(state, model_spec, n_classes, in_channels, device)
            prepare_bn(model, extract_spec.bn, bn_images, extract_spec.batch_size, device, workers)
            m = measure(
                model,
                probe,
                n_classes,
                extract_spec.batch_size,
                floor_labels,
                device,
                workers,
                extract_spec.cka_precision,
            )
            test_correct, n_test = (
                plain_accuracy(model, test_images, extract_spec.batch_size, device, workers)
                if step in test_steps
                else (0, 0)
            )
            writer.append(
                step,
                test_accuracy=test_correct / n_test if n_test else np.nan,
                test_images=n_test,
                class_mean=m["class_mean"],
                si=m["si"],
                si_floor=m["si_floor"],
                dead=m["dead"],
                accuracy=m["accuracy"],
                epoch=state["epoch"],
                train_loss=state["train_loss"],
                train_accuracy=state["train_accuracy"],
                reg_si=state["reg_si"],
                lr=state["lr"],
                cka=m["cka"],
            )
            log.info(
                "step %d: probe accuracy %.4f, mean SI %.3f (floor %.3f), %d dead units, CKA over "
                "%d batches",
                step,
                m["accuracy"],
                float(np.mean(m["si"])),
                float(np.mean(m["si_floor"])),
                int(m["dead"].sum()),
                m["cka_batches"],
            )
            if n_test:
                log.info(
                    "step %d: accuracy %.4f on %d test images", step, test_correct / n_test, n_test
                )
