"""The stable-cells cube of a data set (Fig. 7): Algorithm 1 per probe seed and alignment.

dims ``probe_seed`` (growing), ``alignment`` (+1, -1): ``stable_cells`` (the estimated
number, ``metrics.stable_cells``) and ``iterations`` (until the patience stop).
"""

import logging

import numpy as np

from ..progress import progress
from ..runtime import code_version
from ..specs import identity
from ..store.cube import CubeWriter

log = logging.getLogger(__name__)


def extract_stable_cells(data, out_path, *, attrs, options, device="cpu"):
    """Algorithm 1 on the training split for both output alignments, one slice per probe
    seed; ``options``: a ``specs.StableCellOptions``."""
    from .metrics import stable_cells as sc

    seeds = options.seeds
    X = _np(data["x_train"]).astype(np.float64)
    y = _np(data["y_train"]).astype(np.int64)
    aligns = np.array([1, -1], dtype=np.int8)
    variables = {
        "stable_cells": (
            ("probe_seed", "alignment"),
            "i4",
            {
                "long_name": "estimated number of stable cells (Algorithm 1, Appendix D)",
                "units": "1",
            },
        ),
        "iterations": (
            ("probe_seed", "alignment"),
            "i4",
            {"long_name": "iterations until the patience stop", "units": "1"},
        ),
    }
    coords = {
        "alignment": (
            ("alignment",),
            aligns,
            {
                "description": "+1: signed data (2y-1) x (target of neurons pointing to class 1); -1: its negative"
            },
        )
    }
    with CubeWriter(
        out_path,
        grow_dim="probe_seed",
        grow_dtype="i8",
        sizes={"alignment": 2},
        coords=coords,
        variables=variables,
        attrs={
            **attrs,
            "options": identity(options),
            "code_version": code_version(),
            "n_train": len(y),
            "n_inputs": X.shape[1],
        },
    ) as cube:
        bar = progress(total=len(seeds) * len(aligns), desc="stable cells", unit="search")
        for seed in seeds:
            found = sc.stable_cell_counts(
                X,
                y,
                n_probes=options.n_probes,
                t_max=options.t_max,
                patience=options.patience,
                seed=int(seed),
                alignments=tuple(int(a) for a in aligns),
                augment_bias=options.augment_bias,
                chunk=options.chunk,
                device=device,
            )
            counts = [found[int(a)][0] for a in aligns]
            iters = [len(found[int(a)][1]) for a in aligns]
            for a, n, it in zip(aligns, counts, iters):
                log.info(
                    "stable cells: seed %s alignment %+d -> %d (%d iterations)", seed, a, n, it
                )
            bar.update(len(aligns))
            cube.append(
                int(seed),
                stable_cells=np.array(counts, np.int32),
                iterations=np.array(iters, np.int32),
            )
        bar.close()


def _np(a):
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)
