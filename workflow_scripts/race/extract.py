"""Weights of one run + its data set -> the race cubes (self-describing netCDF).

Two cubes per run, both written slice by slice through ``CubeWriter`` (bounded memory;
variables declared in ``run_cube_vars``; stable cells: ``extract_cells``):

``dynamics`` (dims ``time`` (growing; value = SGD step), ``neuron``, ``tau``):
  per time and neuron: norm_product a = ||w2|| ||w1||, w1_norm, w2_norm, b1,
  cos_delta (alignment to the target vector of the current cell), output_class (the
  c(a) used for the target vector), output_class_weights (where w2 points now),
  cell_size (effective training samples), gamma_norm; per time: train_loss,
  test_accuracy; per time and tau: n_clusters (all neurons) and n_clusters_large
  (neurons with a >= rel_threshold * max a). Per neuron (fixed): final_norm_product and,
  when the weights file carries IMP masks, pruned_w1 / pruned_w2 / pruned_total.

``similarity`` (dims ``snapshot`` (growing; value = SGD step), ``neuron``,
``neuron_b``, ``tau``): cos_sim between total weight vectors [w1, b, w2] (float64,
NaN for zero-norm neurons), cluster_label / cluster_label_large per tau (-1 = in no
cluster), n_clusters / n_clusters_large, order (plot permutation per tau), and
norm_product; per tau (fixed): merging results of the final weights (Table 1):
merge_k, merge_accuracy, merge_relative_change (%), merge_gained / merge_lost (samples
the merged network gets right that the original got wrong, and the reverse); the
unmerged accuracy and the number of samples are the global attributes
``merge_accuracy_original`` and ``merge_n_samples``.

Snapshot times are given as a list whose entries are SGD steps (the nearest recorded
step is used) or the names ``init`` (first checkpoint), ``end`` (last) and
``before_drop`` (the last checkpoint before the training loss has fallen by
``drop_fraction`` of its total fall, L0 - f (L0 - Lmin)). The resolved names/steps are
in the global attributes ``snapshot_names`` and ``snapshot_requested``.
"""

import logging

import numpy as np

from ..progress import progress
from ..runtime import code_version
from ..specs import identity
from ..store.cube import CubeWriter
from .metrics import alignment as al
from .metrics import clusters as cl
from .metrics import merging as mg
from .run_cube_vars import NEURON_VARS, dynamics_variables, similarity_variables
from .specs import ExtractOptions

log = logging.getLogger(__name__)


def resolve_snapshots(steps, train_loss, snapshots, drop_fraction=0.1):
    """Indices into ``steps`` and the resolved names for a snapshot list (see module doc)."""
    steps = np.asarray(steps)
    loss = np.asarray(train_loss, dtype=np.float64)
    out = []
    for s in snapshots:
        if s == "init":
            out.append(0)
        elif s == "end":
            out.append(len(steps) - 1)
        elif s == "before_drop":
            out.append(before_drop_index(loss, drop_fraction))
        elif isinstance(s, (int, np.integer)) or (isinstance(s, str) and s.isdigit()):
            out.append(int(np.argmin(np.abs(steps - int(s)))))
        else:
            raise ValueError(
                f"unknown snapshot {s!r}: use an SGD step, 'init', 'before_drop' or 'end'"
            )
    return out


def before_drop_index(train_loss, drop_fraction=0.1):
    """Last index before the loss has fallen by drop_fraction of L0 - min(L)."""
    loss = np.asarray(train_loss, dtype=np.float64)
    finite = np.isfinite(loss)
    if not finite.any():
        return 0
    level = loss[0] - drop_fraction * (loss[0] - np.nanmin(loss))
    below = np.flatnonzero(finite & (loss < level))
    return int(max(below[0] - 1, 0)) if below.size else len(loss) - 1


def pruned_per_neuron(mask_W1, mask_W2):
    """Pruned weights per neuron from IMP masks (True = kept): (w1 [d], w2 [d], total [d])."""
    m1 = np.asarray(mask_W1, dtype=bool)
    m2 = np.asarray(mask_W2, dtype=bool)
    p1 = (~m1).sum(axis=1).astype(np.int32)
    p2 = (~m2).sum(axis=0).astype(np.int32)
    return p1, p2, p1 + p2


def _np(a):
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


DEFAULT_OPTIONS = ExtractOptions()  # frozen: safe to share as a default


def extract_run(weights, data, out_dynamics, out_similarity, *, attrs, options=DEFAULT_OPTIONS):
    """Write both cubes of one run. ``weights``: a run's checkpoints as one dict
    (``dumps.result_dict``); ``data``: the data set as the data stage saves it (torch
    tensors or arrays); ``options``: a ``specs.ExtractOptions``."""
    taus = [float(t) for t in options.taus]
    steps = _np(weights["steps"]).astype(np.int64)
    W1, b1, W2, b2 = (weights[k] for k in ("W1", "b1", "W2", "b2"))
    T, d, D = W1.shape
    train_loss = _np(weights["train_loss"]).astype(np.float32)
    test_acc = _np(weights["test_accuracy"]).astype(np.float32)
    X = _np(data["x_train"]).astype(np.float64)
    y = _np(data["y_train"]).astype(np.int64)
    snap_idx = resolve_snapshots(steps, train_loss, options.snapshots, options.drop_fraction)
    kw = dict(
        weighting=options.weighting,
        class_method=options.class_method,
        sample_chunk=options.sample_chunk,
    )
    neuron_coord = (
        ("neuron",),
        np.arange(d),
        {"description": "index of the hidden neuron (row of W1)"},
    )
    tau_coord = (
        ("tau",),
        np.asarray(taus),
        {"long_name": "cosine-similarity threshold of the clusters", "units": "1"},
    )
    common = {
        **attrs,
        "options": identity(options),
        "code_version": code_version(),
        "n_neurons": d,
        "n_inputs": D,
        "n_train": len(y),
    }

    has_masks = "mask_W1" in weights and "mask_W2" in weights
    dyn_vars = dynamics_variables(options.rel_threshold, has_masks)
    sim_vars = similarity_variables(options.merge_split)
    x_merge = _np(data[f"x_{options.merge_split}"])
    y_merge = _np(data[f"y_{options.merge_split}"])
    final = [_np(a[-1]) for a in (W1, b1, W2, b2)]
    merge = mg.merge_evaluation(*final, x_merge, y_merge, taus)
    sim_attrs = {
        **common,
        "title": f"race similarity cube: {attrs.get('title', '')}".strip(),
        "snapshot_names": [str(s) for s in options.snapshots],
        "snapshot_requested": list(options.snapshots),
        "merge_accuracy_original": merge["accuracy"],
        "merge_n_samples": merge["n"],
    }
    dyn_attrs = {**common, "title": f"race dynamics cube: {attrs.get('title', '')}".strip()}

    with (
        CubeWriter(
            out_dynamics,
            grow_dim="time",
            grow_dtype="i8",
            sizes={"neuron": d, "tau": len(taus)},
            coords={"neuron": neuron_coord, "tau": tau_coord},
            variables=dyn_vars,
            attrs=dyn_attrs,
        ) as dyn,
        CubeWriter(
            out_similarity,
            grow_dim="snapshot",
            grow_dtype="i8",
            sizes={"neuron": d, "neuron_b": d, "tau": len(taus)},
            coords={
                "neuron": neuron_coord,
                "tau": tau_coord,
                "neuron_b": (("neuron_b",), np.arange(d), {"description": "second neuron index"}),
            },
            variables=sim_vars,
            attrs=sim_attrs,
        ) as sim,
    ):
        sim.set("merge_k", np.asarray(merge["k"], dtype=np.int32))
        sim.set("merge_accuracy", np.asarray(merge["accuracy_merged"]))
        sim.set("merge_relative_change", np.asarray(merge["relative_change"]))
        sim.set("merge_gained", np.asarray(merge["gained"], dtype=np.int32))
        sim.set("merge_lost", np.asarray(merge["lost"], dtype=np.int32))
        wanted = {}
        for j, i in enumerate(snap_idx):
            wanted.setdefault(i, []).append(j)
        pending = {}
        for t in progress(range(T), desc="extract", unit="checkpoint"):
            w = [_np(a[t]) for a in (W1, b1, W2, b2)]
            m = al.alignment_step(*w, X, y, **kw)
            S = cl.cosine_similarity_matrix(cl.total_vectors(w[0], w[1], w[2]))
            labs = [
                cl.cluster_counts(S, tau, m["norm_product"], options.rel_threshold) for tau in taus
            ]
            dyn.append(
                int(steps[t]),
                **{k: m[k] for k in NEURON_VARS if k in m},
                b1=w[1].astype(np.float64),
                train_loss=train_loss[t],
                test_accuracy=test_acc[t],
                n_clusters=np.array([x[1] for x in labs], dtype=np.int32),
                n_clusters_large=np.array([x[3] for x in labs], dtype=np.int32),
            )
            if t in wanted:
                pending[t] = dict(
                    cos_sim=S,
                    cluster_label=np.stack([x[0] for x in labs]).astype(np.int32),
                    cluster_label_large=np.stack([x[2] for x in labs]).astype(np.int32),
                    order=np.stack(
                        [cl.cluster_order(x[0], m["norm_product"]) for x in labs]
                    ).astype(np.int32),
                    n_clusters=np.array([x[1] for x in labs], dtype=np.int32),
                    n_clusters_large=np.array([x[3] for x in labs], dtype=np.int32),
                    norm_product=m["norm_product"],
                )
            if t == T - 1:
                dyn.set("final_norm_product", m["norm_product"])
        # snapshots in the requested order (an index may repeat); d x d each, few of them
        for i in snap_idx:
            sim.append(int(steps[i]), **pending[i])
        if has_masks:
            p1, p2, pt = pruned_per_neuron(_np(weights["mask_W1"]), _np(weights["mask_W2"]))
            dyn.set("pruned_w1", p1)
            dyn.set("pruned_w2", p2)
            dyn.set("pruned_total", pt)
    log.info(
        "wrote %s (%d times x %d neurons) and %s (%d snapshots)",
        out_dynamics,
        T,
        d,
        out_similarity,
        len(snap_idx),
    )
