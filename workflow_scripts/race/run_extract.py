"""Snakemake entry points of the race extraction stages: ``main(snakemake)``.

Reads only snakemake.input / output / params / log / threads; every hyperparameter
arrives in ``snakemake.params``.

Dispatch on the rule's named outputs:
- outputs ``dynamics`` and ``similarity``: one run's cubes (``extract.extract_run``).
  inputs: ``weights`` (the run's weights file), ``data`` (its data file).
  params: ``options`` (dict, keys of ``extract.DEFAULTS``: taus, snapshots,
  rel_threshold, weighting, class_method, merge_split, drop_fraction, sample_chunk),
  ``config`` (resolved config, stored in the cubes), ``run_id``.
- output ``stable_cells``: Algorithm 1 on one data set (``extract.extract_stable_cells``).
  input: ``data``. params: ``options`` (n_probes, seeds, t_max, patience, chunk,
  augment_bias), ``config``, ``data_id``, optional ``device``.
"""

import logging

import torch

from ..runtime import configure_torch, pick_device, setup_logging
from ..store.checkpoints import load_checkpoint
from . import extract

log = logging.getLogger(__name__)


def _param(smk, name, default=None):
    return getattr(smk.params, name, default)


def _attrs(smk, kind, ident):
    return {"title": f"{kind} {ident}", "study": "race", "run_id": str(ident),
            "config": _param(smk, "config", {}) or {}, "Conventions": "CF-1.8",
            "source": "trainscope workflow"}


def main_dynamics(smk):
    weights = load_checkpoint(smk.input.weights)
    data = load_checkpoint(smk.input.data)
    attrs = _attrs(smk, "run", _param(smk, "run_id", ""))
    attrs["weights_meta"] = extract.meta_dict(weights)
    attrs["data_meta"] = extract.meta_dict(data)
    with torch.no_grad():
        extract.extract_run(weights, data, smk.output.dynamics, smk.output.similarity,
                            attrs=attrs, options=dict(_param(smk, "options", {}) or {}))


def main_stable_cells(smk):
    data = load_checkpoint(smk.input.data)
    opts = dict(_param(smk, "options", {}) or {})
    device = pick_device(_param(smk, "device", "cpu") or "cpu")
    attrs = _attrs(smk, "data set", _param(smk, "data_id", ""))
    attrs["data_meta"] = extract.meta_dict(data)
    with torch.no_grad():
        extract.extract_stable_cells(
            data, smk.output.stable_cells, attrs=attrs, n_probes=int(opts.get("n_probes", 10000)),
            seeds=tuple(opts.get("seeds", (0, 1, 2))), t_max=int(opts.get("t_max", 200)),
            patience=int(opts.get("patience", 5)), chunk=int(opts.get("chunk", 4096)),
            augment_bias=bool(opts.get("augment_bias", False)), device=str(device))


def main(snakemake):
    setup_logging(snakemake.log[0] if snakemake.log else None)
    configure_torch(getattr(snakemake, "threads", 1) or 1)
    outputs = set(snakemake.output.keys())
    if {"dynamics", "similarity"} <= outputs:
        main_dynamics(snakemake)
    elif "stable_cells" in outputs:
        main_stable_cells(snakemake)
    else:
        raise SystemExit(f"race extraction: unknown outputs {sorted(outputs)}; expected "
                         "'dynamics' + 'similarity' or 'stable_cells'")
