"""The variables of the race run cubes (``extract``): names, dims, dtypes and attributes.

``dynamics`` (dims ``time`` (growing; value = SGD step), ``neuron``, ``tau``) and
``similarity`` (dims ``snapshot`` (growing; value = SGD step), ``neuron``, ``neuron_b``,
``tau``); ``extract`` documents what each holds.
"""

NEURON_VARS = {
    "norm_product": ("f8", {"long_name": "norm product a = ||w2|| ||w1||", "units": "a.u.^2"}),
    "w1_norm": ("f8", {"long_name": "norm of the incoming weights ||w1||", "units": "a.u."}),
    "w2_norm": (
        "f8",
        {"long_name": "norm of the outgoing weights ||w2|| (2 entries)", "units": "a.u."},
    ),
    "b1": ("f8", {"long_name": "hidden bias b", "units": "a.u."}),
    "cos_delta": (
        "f8",
        {
            "long_name": "cos(delta): cosine between w1 and the target vector of the neuron's current cell",
            "units": "1",
            "description": "NaN where w1 = 0 or the cell is empty",
        },
    ),
    "output_class": (
        "i1",
        {
            "long_name": "output class c(a) used for the target vector",
            "units": "1",
            "description": "0 = binary class 0 (the paper's class 1), 1 = binary class 1",
        },
    ),
    "output_class_weights": (
        "i1",
        {"long_name": "class the outgoing weight points to now (w2[0] > w2[1] -> 0)", "units": "1"},
    ),
    "cell_size": (
        "i4",
        {
            "long_name": "number of training samples passing the neuron's ReLU (w1.x + b > 0)",
            "units": "1",
        },
    ),
    "gamma_norm": ("f8", {"long_name": "norm of the target vector gamma", "units": "a.u."}),
}


def dynamics_variables(rel_threshold, has_masks):
    """The dynamics cube's variables; ``has_masks``: the run is an IMP run (pruned counts)."""
    dyn_vars = {name: (("time", "neuron"), dt, a) for name, (dt, a) in NEURON_VARS.items()}
    dyn_vars.update(
        {
            "train_loss": (
                ("time",),
                "f4",
                {"long_name": "training loss (mean cross-entropy)", "units": "nats"},
            ),
            "test_accuracy": (("time",), "f4", {"long_name": "test accuracy", "units": "1"}),
            "n_clusters": (
                ("time", "tau"),
                "i4",
                {"long_name": "clusters over all neurons (singletons included)", "units": "1"},
            ),
            "n_clusters_large": (
                ("time", "tau"),
                "i4",
                {
                    "long_name": "clusters (over all neurons) that contain a neuron with a >= "
                    f"{rel_threshold:g} of the largest a; <= n_clusters",
                    "units": "1",
                },
            ),
            "final_norm_product": (
                ("neuron",),
                "f8",
                {"long_name": "norm product a at the last checkpoint", "units": "a.u.^2"},
            ),
        }
    )
    if has_masks:
        for name, what in (
            ("pruned_w1", "incoming"),
            ("pruned_w2", "outgoing"),
            ("pruned_total", "all"),
        ):
            dyn_vars[name] = (
                ("neuron",),
                "i4",
                {
                    "long_name": f"number of pruned {what} weights of the neuron (IMP mask)",
                    "units": "1",
                },
            )
    return dyn_vars


def similarity_variables(merge_split):
    """The similarity cube's variables (merging on the ``merge_split`` split)."""
    sim_vars = {
        "cos_sim": (
            ("snapshot", "neuron", "neuron_b"),
            "f8",
            {
                "long_name": "cosine similarity of total weight vectors [w1, b, w2]",
                "units": "1",
                "description": "NaN for neurons with a zero total vector",
            },
        ),
        "cluster_label": (
            ("snapshot", "tau", "neuron"),
            "i4",
            {
                "long_name": "cluster (connected component at cos_sim >= tau), 0 = largest; -1 = none",
                "units": "1",
            },
        ),
        "cluster_label_large": (
            ("snapshot", "tau", "neuron"),
            "i4",
            {
                "long_name": "cluster_label of the clusters that contain a large neuron "
                "(a >= rel_threshold max a), renumbered 0.. in size order; -1 = in none",
                "units": "1",
            },
        ),
        "order": (
            ("snapshot", "tau", "neuron"),
            "i4",
            {
                "long_name": "neuron permutation grouping clusters (size desc), by a within a cluster",
                "units": "1",
            },
        ),
        "n_clusters": (
            ("snapshot", "tau"),
            "i4",
            {"long_name": "clusters over all neurons", "units": "1"},
        ),
        "n_clusters_large": (
            ("snapshot", "tau"),
            "i4",
            {"long_name": "clusters that contain a large neuron (<= n_clusters)", "units": "1"},
        ),
        "norm_product": (
            ("snapshot", "neuron"),
            "f8",
            {"long_name": "norm product a", "units": "a.u.^2"},
        ),
        "merge_k": (
            ("tau",),
            "i4",
            {"long_name": "neurons after merging each cluster of the final weights", "units": "1"},
        ),
        "merge_accuracy": (
            ("tau",),
            "f8",
            {"long_name": f"{merge_split} accuracy of the merged network", "units": "1"},
        ),
        "merge_relative_change": (
            ("tau",),
            "f8",
            {"long_name": "relative accuracy change after merging", "units": "%"},
        ),
        "merge_gained": (
            ("tau",),
            "i4",
            {
                "long_name": f"{merge_split} samples right after merging, wrong before",
                "units": "1",
            },
        ),
        "merge_lost": (
            ("tau",),
            "i4",
            {
                "long_name": f"{merge_split} samples wrong after merging, right before",
                "units": "1",
            },
        ),
    }
    return sim_vars
