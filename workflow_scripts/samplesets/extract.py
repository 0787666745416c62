"""Checkpoints + validation set -> the run's cube, one checkpoint (time point) at a time.

``extract_cube``: for every hidden node, the exact number of validation samples of each
class with pre-activation > 0 (``count``, time x node x class), the node metrics derived
from it (f, p, u, dead, always active) and the validation error and loss. The measuring
is the shared metrics layer's (``metrics.measure.measure`` with ``samplesets=True``, the
formulas in ``metrics.sample_sets``): one forward pass over the validation set per
checkpoint, in chunks, on the job's device, the hidden Linear layers' outputs (the
pre-activations) read by forward hooks. This module lays the results out as the study's
cube. (The binary activations themselves: ``activations``.)
"""

import logging

import numpy as np
import torch
import torch.nn.functional as F

from ..metrics.measure import measure
from ..metrics.sample_sets import max_informativeness, node_metrics
from ..progress import progress
from ..store.checkpoints import list_checkpoints, load_steps
from ..store.cube import CubeWriter
from .data import scaled
from .network import build_net

log = logging.getLogger(__name__)
CHUNK = 4000  # validation samples per forward pass (a multiple of 8: packed bits)
STEP = {"long_name": "training step (optimizer updates done)", "units": "steps"}
BOOL = {"dtype": "bool"}  # netCDF has no bool: int8 with this attr, which xarray decodes


def chunks(x, y, chunk=CHUNK):
    """(x, y) of consecutive validation chunks."""
    for start in range(0, len(x), chunk):
        yield x[start : start + chunk], y[start : start + chunk]


def hidden_layers(net):
    """The ``named_modules`` names of the hidden Linear layers (their outputs are the
    pre-activations; a node is active where its output is > 0)."""
    names = [name for name, module in net.named_modules() if isinstance(module, torch.nn.Linear)]
    return names[:-1]


def summed_loss(loss):
    """The batch's summed validation loss, as trained: CE, or MSE averaged over outputs."""
    if loss == "ce":
        return lambda out, y: F.cross_entropy(out, y, reduction="sum")
    return lambda out, y: ((out - F.one_hot(y, out.shape[1]).to(out.dtype)) ** 2).mean(1).sum()


def evaluate(net, x, y, n_classes, loss):
    """(counts [node, class] int64, validation error, mean loss) of the net on (x, y)."""
    m = measure(
        net,
        chunks(x, y),
        n_classes=n_classes,
        layers=hidden_layers(net),
        selectivity_index=False,
        samplesets=True,
        loss=summed_loss(loss),
        device=x.device,
    )
    # the error from the number of wrong images (exact), not 1 - accuracy (one rounding more)
    wrong = m.n_images - round(m.accuracy * m.n_images)
    return m.counts, wrong / m.n_images, m.loss


def node_coords(spec):
    layers = spec.depth - 1
    return {
        "node": (
            ("node",),
            np.arange(layers * spec.width),
            {"long_name": "hidden node, numbered from the shallowest layer to the deepest"},
        ),
        "layer": (
            ("node",),
            np.repeat(np.arange(1, layers + 1), spec.width),
            {"long_name": "hidden layer of the node (1 = first)"},
        ),
        "unit": (
            ("node",),
            np.tile(np.arange(spec.width), layers),
            {"long_name": "index of the node within its layer"},
        ),
    }


def _setup(spec, data, device):
    device = torch.device(device)
    x = torch.as_tensor(scaled(data["x_val"]), device=device)
    y = torch.as_tensor(data["y_val"], dtype=torch.int64, device=device)
    return build_net(spec, device), x, y


def extract_cube(
    checkpoints, data, spec, out, attrs, *, class_names, device="cpu", show_progress=True
):
    """The cube of the run whose checkpoint directory is ``checkpoints``."""
    net, x, y = _setup(spec, data, device)
    sizes = np.bincount(data["y_val"], minlength=spec.n_classes)
    u_max = max_informativeness(sizes)
    coords = {
        **node_coords(spec),
        "class": (("class",), np.arange(spec.n_classes), {"long_name": "class label"}),
        "class_name": (("class",), np.asarray(class_names, dtype=str), {}),
        "class_size": (
            ("class",),
            sizes.astype(np.int64),
            {"long_name": "validation samples of the class |S_c|", "units": "samples"},
        ),
    }
    T, N, C = "time", "node", "class"
    fraction = {"units": "1", "valid_range": [0.0, 1.0]}
    variables = {
        "count": (
            (T, N, C),
            "i4",
            {
                "long_name": "validation samples of the class with "
                "pre-activation > 0 (|S_c,i|, eq. 8)",
                "units": "samples",
            },
        ),
        "activation_fraction": (
            (T, N),
            "f4",
            {
                "long_name": "activation fraction f_i: mean "
                "over classes of count / class_size (eqs. 9, 16)",
                **fraction,
            },
        ),
        "predictability": (
            (T, N),
            "f4",
            {
                "long_name": "predictability p_i = 1 - H(Zhat|Y) / "
                "log 2 (eq. 14); NaN for dead / always-active nodes",
                **fraction,
            },
        ),
        "informativeness": (
            (T, N),
            "f4",
            {
                "long_name": "informativeness u_i = 1 - H(Y|Zhat) "
                "/ log |C| (eq. 15); NaN for dead / always-active "
                "nodes",
                **fraction,
            },
        ),
        "dead": ((T, N), "i1", {"long_name": "active for no validation sample", **BOOL}),
        "always_active": (
            (T, N),
            "i1",
            {"long_name": "active for every validation sample", **BOOL},
        ),
        "epoch": (
            (T,),
            "f8",
            {"long_name": "epochs trained (step / steps per epoch)", "units": "epochs"},
        ),
        "val_error": (
            (T,),
            "f8",
            {"long_name": "validation error (argmax of the outputs)", "units": "1"},
        ),
        "val_loss": (
            (T,),
            "f8",
            {
                "long_name": f"validation loss ({spec.loss}, as trained)",
                "units": "nats" if spec.loss == "ce" else "1",
            },
        ),
    }
    attrs = {
        **attrs,
        "steps_per_epoch": spec.steps_per_epoch,
        "n_validation": int(sizes.sum()),
        "max_informativeness": u_max,
        "max_informativeness_balanced": float(np.log(2) / np.log(spec.n_classes)),
    }
    files = list_checkpoints(checkpoints)
    with (
        CubeWriter(
            out,
            grow_dim=T,
            grow_dtype="i8",
            sizes={N: (spec.depth - 1) * spec.width, C: spec.n_classes},
            coords=coords,
            variables=variables,
            attrs=attrs,
            expected_length=len(files),
            grow_attrs=STEP,
        ) as cube,
        torch.no_grad(),
    ):
        for step, ckpt in progress(
            load_steps(checkpoints),
            total=len(files),
            desc="extract",
            unit="checkpoint",
            enabled=show_progress,
        ):
            net.load_state_dict(ckpt["model"])
            counts, error, loss = evaluate(net, x, y, spec.n_classes, spec.loss)
            m = node_metrics(counts, sizes)
            cube.append(
                step,
                count=counts.astype(np.int32),
                activation_fraction=m["activation_fraction"].astype(np.float32),
                predictability=m["predictability"].astype(np.float32),
                informativeness=m["informativeness"].astype(np.float32),
                dead=m["dead"].astype(np.int8),
                always_active=m["always_active"].astype(np.int8),
                epoch=step / spec.steps_per_epoch,
                val_error=error,
                val_loss=loss,
            )
    log.info(
        "wrote %s: %d time points x %d nodes x %d classes",
        out,
        len(files),
        (spec.depth - 1) * spec.width,
        spec.n_classes,
    )
