"""Per checkpoint, from one pass over the probe set: class means, SI, its noise floor,
accuracy and CKA; written as a part cube growing along ``checkpoint``.

Forward hooks on the blocks (``network.BlockOutputs``) see each block's output as the
block returns it and reduce it at once, before any later in-place operation touches it:
the spatial mean of every channel goes into the class-mean accumulators (true labels,
and the same images with shuffled labels for the noise floor), the flattened output into
its float64 Gram matrix (minibatch CKA). A pre-hook on ``fc`` does the same for the FC
input. Nothing of a batch is kept after its forward pass.

BatchNorm at evaluation (``extract.bn``): ``recompute`` (default) replaces the running
statistics by their average over the data file's BatchNorm images (training images,
evaluation transform) before anything is measured; ``running`` uses the statistics as
saved (near their initial values for the first ~30 batches of training); ``batch``
normalises each probe batch by its own statistics.
"""

import logging

import numpy as np
import torch

from ..store.checkpoints import checkpoint_steps, load_steps
from ..store.cube import CubeWriter
from . import network
from .cka import MinibatchCKA, gram
from .selectivity_index import ClassMeans, si_from_means

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


@torch.no_grad()
def measure(model, probe, n_classes, batch_size, floor_labels, device, workers=0):
    """One pass over ``probe``: {'class_mean', 'si', 'si_floor', 'dead', 'accuracy', 'cka',
    'cka_batches'} (numpy). ``floor_labels``: the probe labels, shuffled."""
    units = network.blocks(model)
    offsets = np.cumsum([0] + [c for *_, c in units])
    n_units = int(offsets[-1])
    true, floor = ClassMeans(n_classes, n_units, device), ClassMeans(n_classes, n_units, device)
    cka = MinibatchCKA(len(units) + 1, device)
    state = {}

    def on_block(k, output):
        cols = slice(int(offsets[k]), int(offsets[k + 1]))
        act = output.float().mean(dim=(2, 3))
        true.add(act, state["y"], cols)
        floor.add(act, state["y_floor"], cols)
        if state["full"]:
            state["grams"].append(gram(output))
        return None

    def on_fc(_module, inputs):
        if state["full"]:
            state["grams"].append(gram(inputs[0]))

    correct, seen = 0, 0
    floor_labels = torch.as_tensor(floor_labels)
    fc_hook = model.fc.register_forward_pre_hook(on_fc)
    try:
        with network.BlockOutputs(model, on_block):
            order = np.arange(len(probe))
            for b, (x, y) in enumerate(
                probe.batches(order, batch_size, workers=workers, device=device)
            ):
                y_floor = floor_labels[b * batch_size : b * batch_size + len(y)].to(device)
                state.update(y=y, y_floor=y_floor, full=len(y) == batch_size, grams=[])
                logits = model(x)
                true.count(y)
                floor.count(y_floor)
                correct += int((logits.argmax(1) == y).sum())
                seen += len(y)
                if state["full"]:
                    cka.add(state["grams"])
    finally:
        fc_hook.remove()
    means = true.means()
    si, dead = si_from_means(means)
    si_floor, _ = si_from_means(floor.means())
    return {
        "class_mean": means.T.float().cpu().numpy(),
        "si": si.float().cpu().numpy(),
        "si_floor": si_floor.float().cpu().numpy(),
        "dead": dead.cpu().numpy().astype(np.int8),
        "accuracy": correct / seen,
        "cka": cka.value().cpu().numpy(),
        "cka_batches": cka.batches,
    }


def floor_shuffle(labels, seed):
    """The probe labels in a fixed random order (same class counts, no class signal)."""
    return np.asarray(labels)[np.random.default_rng(seed).permutation(len(labels))]


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
    "train_loss": (
        ("checkpoint",),
        "f4",
        {
            "long_name": "training cross-entropy, mean over the batches since the "
            "previous checkpoint (train mode, augmented)"
        },
    ),
    "train_accuracy": (
        ("checkpoint",),
        "f4",
        {
            "long_name": "training accuracy, mean over the batches since the "
            "previous checkpoint (train mode, augmented)"
        },
    ),
    "reg_si": (
        ("checkpoint",),
        "f4",
        {
            "long_name": "regularised mean batch SI (mu_SI) over the batches since the "
            "previous checkpoint; NaN when not regularised"
        },
    ),
    "lr": (("checkpoint",), "f4", {"long_name": "learning rate"}),
    "cka": (
        ("checkpoint", "layer", "layer2"),
        "f8",
        {"long_name": "minibatch linear CKA (unbiased HSIC, float64) over the probe set"},
    ),
}


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
):
    """Write the part cube ``out`` for the checkpoints ``steps`` of one run."""
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
                model, probe, n_classes, extract_spec.batch_size, floor_labels, device, workers
            )
            writer.append(
                step,
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
