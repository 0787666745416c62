"""Each race figure's and Table 1's options, resolved once from the config (for the plan).

``race.figures.<fig>`` holds what a user chooses; the dataclasses of ``figure_specs.FIGURES``
hold the fixed defaults; what is missing and depends on the rest of the config (every
grid sigma_0, the first grid run, the middle IMP sparsity, early steps from the dump
schedule) is resolved here, and so are the derived fields the captions state.
"""

from ..specs import from_params
from .figure_specs import FIGURES, TABLES, DataDescription

SNAPSHOT_TITLES = {"init": "init", "before_drop": "before loss drop", "end": "end"}


def resolve_figures(config, extract, checkpoint_steps_of):
    """{fig: options} for every figure of ``figure_specs.FIGURES``. ``extract``: the resolved
    ``ExtractOptions``; ``checkpoint_steps_of(N)``: the dump steps of the grid runs at N."""
    race = config["race"]
    grid, sweep, imp, cells = race["grid"], race["d_sweep"], race["imp"], race["stable_cells"]
    hidden = int(race["train"]["hidden"])
    first_run = {
        "sigma0": float(grid["sigma0"][0]),
        "N": int(grid["n_train"][0]),
        "seed": min(grid["seeds"]),
    }
    every = {
        "seed": first_run["seed"],
        "sigmas": tuple(sorted(float(s) for s in grid["sigma0"])),
        "Ns": tuple(sorted(int(n) for n in grid["n_train"])),
    }
    sparsities = sorted(float(s) for s in imp["sparsities"])
    imp_choices = {"imp_rounds": int(imp["rounds"]), "imp_rewind": imp["rewind"]}

    fig1 = {
        **first_run,
        "sparsity": sparsities[len(sparsities) // 2] if sparsities else None,
        **race["figures"]["fig1"],
    }
    if "early_steps" not in fig1:
        n = fig1["N"] if fig1["N"] in every["Ns"] else first_run["N"]
        fig1["early_steps"] = early_steps(checkpoint_steps_of(n))
    fig1.setdefault("pruning_step", fig1["early_steps"][-1])
    chosen = {
        "fig1": {**fig1, **imp_choices, "d": hidden},
        "fig3": {
            "sigma0": float(sweep["sigma0"]),
            "sigmas": every["sigmas"],
            "N": first_run["N"],
            "d": hidden,
            "seed": first_run["seed"],
            "snapshot_titles": tuple(
                SNAPSHOT_TITLES.get(s, f"step {s}") for s in extract.snapshots
            ),
            **race["figures"]["fig3"],
            "widths": tuple(int(d) for d in sweep["hidden"]),
            "n_sweep_seeds": len(sweep["seeds"]),
            "rel_threshold": extract.rel_threshold,
        },
        "fig4": {**every, **race["figures"]["fig4"], "d": hidden},
        "fig5": {
            **every,
            "sparsities": tuple(sparsities),
            **race["figures"]["fig5"],
            **imp_choices,
            "prune_output_layer": bool(imp["prune_output_layer"]),
        },
        "fig7": {
            "n_probes": int(cells["n_probes"]),
            "t_max": int(cells["t_max"]),
            "patience": int(cells["patience"]),
            "probe_seeds": tuple(int(s) for s in cells["seeds"]),
        },
    }
    data = data_description(config)
    return {fig: from_params(cls, {**chosen[fig], "data": data}) for fig, cls in FIGURES.items()}


def resolve_tables(config, extract):
    """{"table1": Table1Options}."""
    race = config["race"]
    table1 = {
        "taus": tuple(extract.taus),
        "rel_threshold": extract.rel_threshold,
        "merge_split": extract.merge_split,
        "n_seeds": len(race["grid"]["seeds"]),
        "d": int(race["train"]["hidden"]),
        "data": data_description(config),
    }
    return {"table1": TABLES["table1"](**table1)}


def data_description(config):
    d = config["race"]["data"]
    groups = tuple(tuple(int(c) for c in g) for g in d["groups"])
    return DataDescription(
        source=d["source"], groups=groups, preprocess=d["preprocess"], inputs=d["inputs"]
    )


def early_steps(steps):
    """Three recorded steps from the first third of the dumps: first, middle, last."""
    last = len(steps) // 3
    return (int(steps[0]), int(steps[last // 2]), int(steps[last]))
