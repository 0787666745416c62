"""One checkpoint -> its part files (job time): the measurement pass and the ablation curves.

A part is a netCDF file with one group per metric (``selectivity``, ``samplesets``,
``cka``; ``ablation``), each an xarray Dataset of ``workflow_scripts.metrics.datasets``, and
root attributes saying which checkpoint it measured: path, time, the sha256 of the file and
of the weights as loaded (equal weights hash equal, whatever the container). Written under a
temporary name and moved into place when complete.

BatchNorm (``extract.bn``): ``running`` evaluates with the statistics the checkpoint saved
(eval mode; at checkpoints from the first steps of training they are still close to their
initial values); ``batch`` normalises each probe batch by its own statistics.
"""

import json
import logging

import numpy as np
import torch
import xarray as xr

from .. import models
from ..datasets.probe import open_probe
from ..metrics import datasets as tables
from ..metrics.ablation import Group, ablation_curves
from ..metrics.measure import measure
from ..metrics.selectivity_index import floor_shuffle
from ..store.atomic import atomic_path
from . import loading

log = logging.getLogger(__name__)


def load_model(p, device):
    """(model with the checkpoint's weights, eval mode, record of the checkpoint)."""
    path = p["checkpoint"]["path"]
    model = models.build(p["model"]["name"], **p["model"]["args"])
    obj = loading.load_file(path, p["load"]["allow_globals"])
    state, where = loading.state_dict_of(obj, path, p["load"]["state_key"])
    loading.fit(model, state, path, p["load"]["prefix"])
    record = {
        **p["checkpoint"],
        "time_unit": p["time_unit"],
        "container": where,
        "file_sha256": loading.file_hash(path),
        "weights_sha256": loading.weights_hash(model),
        "file_entries": json.dumps(loading.file_entries(obj)),
    }
    del obj, state
    model = model.to(device).eval()
    if p["extract"]["bn"] == "batch":
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.train()
                m.track_running_stats, m.running_mean, m.running_var = False, None, None
    return model, record


def probe_images(data, data_dir, download=False):
    return open_probe(
        data["source"],
        data["folder"],
        data["split"],
        data["n"],
        data["seed"],
        {k: data[k] for k in ("resize", "crop", "mean", "std", "channels", "flatten")},
        data_dir,
        download,
    )


def write_part(out, record, groups):
    """The part file: root attrs = the checkpoint's record, one group per Dataset."""
    attrs = {k: ("" if v is None else v) for k, v in record.items()}
    with atomic_path(out) as tmp:
        xr.Dataset(attrs=attrs).to_netcdf(tmp, engine="h5netcdf", mode="w")
        for name, ds in groups.items():
            ds.to_netcdf(tmp, engine="h5netcdf", mode="a", group=name)


def measure_checkpoint(p, out, data_dir, device="cpu", workers=0, download=False):
    model, record = load_model(p, device)
    e = p["extract"]
    probe = probe_images(p["data"], data_dir, download)
    labelled = probe.labels is not None
    floor = floor_shuffle(probe.labels.numpy(), e["floor_seed"]) if labelled else None
    metrics = e["metrics"]
    m = measure(
        model,
        probe.batches(e["batch_size"], workers=workers, device=device),
        n_classes=len(probe.classes) or None,
        layers=e["layers"],
        cka_layers=e["cka_layers"] if "cka" in metrics else (),
        selectivity_index="selectivity" in metrics,
        samplesets="samplesets" in metrics,
        floor_labels=floor,
        batch_size=e["batch_size"],
        cka_precision=e["cka_precision"],
        device=device,
    )
    groups = {}
    if "selectivity" in metrics:
        groups["selectivity"] = tables.selectivity_dataset(m, probe.classes)
    if "samplesets" in metrics:
        groups["samplesets"] = tables.samplesets_dataset(m, probe.classes)
    if "cka" in metrics:
        groups["cka"] = tables.cka_dataset(m, e["cka_precision"])
    write_part(out, record, groups)
    si = groups.get("selectivity")
    if si is not None:
        negative = sorted(set(si["layer"].values[(si["class_mean"] < 0).any("class").values]))
        if negative:
            log.warning(
                "layer(s) %s have negative class means: the selectivity index assumes "
                "non-negative activations (hook the ReLU after the layer instead)",
                ", ".join(map(str, negative)),
            )
    log.info(
        "%s (%s %s): %d probe images, accuracy %s, mean SI %s, weights sha256 %s",
        record["path"],
        p["time_unit"],
        record["step"] if p["time_unit"] == "step" else record["epoch"],
        m.n_images,
        "n/a" if m.accuracy is None else f"{m.accuracy:.4f}",
        "n/a" if si is None else f"{float(si['si'].where(~si['dead']).mean()):.3f}",
        record["weights_sha256"][:16],
    )


def ablate_checkpoint(p, measure_part, out, data_dir, device="cpu", workers=0, download=False):
    model, record = load_model(p, device)
    a, e = p["ablation"], p["extract"]
    with xr.open_dataset(measure_part, group="selectivity", engine="h5netcdf") as ds:
        layer, si = ds["layer"].values.astype(str), ds["si"].values
    groups = [Group(name, tuple(layers), key) for key, (name, layers) in enumerate(a["groups"])]
    probe = probe_images(p["data"], data_dir, download)
    result = ablation_curves(
        model,
        probe.batches(e["batch_size"], workers=workers, device=device),
        groups,
        {name: si[layer == name] for g in groups for name in g.layers},
        fractions=a["fractions"],
        draws=a["draws"],
        seed=a["seed"],
        device=device,
        channels_last=a["channels_last"],
        on_skip=a["on_skip"],
        masks_per_pass=a.get("masks_per_pass", 0),
    )
    ds = tables.ablation_dataset(result, groups, a["fractions"], a["draws"])
    write_part(out, record, {"ablation": ds})
    half = int(np.argmin(np.abs(np.asarray(a["fractions"]) - 0.5)))
    acc = result["accuracy"]
    log.info(
        "%s: base accuracy %.4f; at fraction %g, selective / random mean per group: %s",
        record["path"],
        result["base_accuracy"],
        a["fractions"][half],
        ", ".join(
            f"{g.name} {acc[i, 0, half, 0]:.3f}/{np.nanmean(acc[i, 1, half]):.3f}"
            for i, g in enumerate(groups)
        ),
    )
