"""From the validated config to the artifacts of the race study, their ids and paths.

``build_plan(config)`` returns a ``RacePlan`` (the ``study.Plan`` interface): the data
sets, runs, stacks (training jobs), IMP rounds, cubes and stable-cell cubes with their
resolved specs and ids (``ids``), each figure's and Table 1's options
(``figure_options``), and the methods ``rules/race.smk`` calls. Paths come from
``StudyPaths``:

    results/race/data/<data_id>.pt
    results/race/stacks/<stack_id>/<run_id>/checkpoints/step_*.pt   one job per stack
    results/race/imp/<imp_id>/round<r>.pt, masks<r>.pt
    results/race/cubes/<cube_id>.{dynamics,similarity}.nc, <stable_id>.stable_cells.nc

A stack's runs keep their checkpoints inside the stack's directory, not under
``runs/<run_id>/``: a stack is one job (its runs train together), and a Snakemake job
declares a fixed number of outputs per rule, so a stack of any size declares its one
directory; writing run directories outside it would leave them untracked (no atomic
appearance, no rerun when one is deleted). Nothing here imports torch or matplotlib.
"""

from dataclasses import dataclass, field

from ..runtime import plan_device
from ..scheduling import priority
from ..specs import params
from ..store.paths import StudyPaths
from . import ids
from .artifacts import plan_artifacts
from .resolve import resolve_figures, resolve_tables

STUDY = "race"
# Snakemake priorities (``scheduling``: estimated seconds on one idle core), from the
# default build's medians and spread: a training stack 6-20 s, a stable-cell search
# 7-75 s (grows with N), an IMP round 3-23 s (they come in chains of three); the many
# extractions (~4 s) keep priority 0 and fill the cores at the end
ESTIMATED_S = {"train": 10, "stable_cells": 30, "imp": 6}
# which runs' cubes a figure reads (grid, or d sweep and grid) and whether the IMP masks
# too; fig7 reads the stable-cell cubes
FIGURE_RUNS = {
    "fig1": ("grid", True),
    "fig3": ("sweep+grid", False),
    "fig4": ("grid", False),
    "fig5": ("grid", True),
}


@dataclass
class RacePlan:
    config: dict
    device: str  # "cpu" or "cuda" (runtime.plan_device)
    datasets: dict = field(default_factory=dict)  # data_id -> DataSpec
    runs: dict = field(default_factory=dict)  # run_id -> record (ids.run_record)
    stacks: dict = field(default_factory=dict)  # stack_id -> {data_id, hidden, train, runs}
    imp: dict = field(default_factory=dict)  # imp_id -> {run_id, spec, train, config}
    cubes: dict = field(default_factory=dict)  # cube_id -> {run_id, options, config}
    cube_of: dict = field(default_factory=dict)  # run_id -> cube_id
    stable_cells: dict = field(default_factory=dict)  # stable_id -> {data_id, options, config, N}
    grid_runs: list = field(default_factory=list)  # run ids of the default grid
    sweep_runs: list = field(default_factory=list)  # run ids of the d sweep
    imp_of_run: dict = field(default_factory=dict)  # run_id -> {sparsity: imp_id}
    figures: dict = field(default_factory=dict)  # fig -> its options (figure_specs.FIGURES)
    tables: dict = field(default_factory=dict)  # "table1" -> Table1Options
    rounds: int = 3

    def __post_init__(self):
        self.paths = StudyPaths.of(STUDY, self.config)

    # -- paths -----------------------------------------------------------------------

    def data_file(self, data_id):
        return self.paths.data(data_id, "pt")

    def stack_dir(self, stack_id):
        return self.paths.artifact("stacks", stack_id)

    def run_checkpoints(self, run_id):
        return f"{self.stack_dir(self.runs[run_id]['stack_id'])}/{run_id}/checkpoints"

    def imp_file(self, imp_id, r, what="round"):
        """Round r's retrained run (``round``) or its masks (``masks``)."""
        return self.paths.artifact("imp", f"{imp_id}/{what}{r}.pt")

    def cube_files(self, cube_id):
        return {kind: self.paths.cube(cube_id, kind) for kind in ("dynamics", "similarity")}

    def stable_cells_file(self, stable_id):
        return self.paths.cube(stable_id, "stable_cells")

    def labels(self, run_id):
        r = self.runs[run_id]
        return {
            "run_id": run_id,
            "N": r["N"],
            "d": r["hidden"],
            "sigma0": r["sigma0"],
            "seed": r["seed"],
        }

    # -- what the rules ask (wildcards -> files / params) ----------------------------

    def data_params(self, wildcards):
        return params(self.datasets[wildcards.data_id])

    def train_inputs(self, wildcards):
        return {"data": self.data_file(self.stacks[wildcards.stack_id]["data_id"])}

    def train_params(self, wildcards):
        s = self.stacks[wildcards.stack_id]
        return {"hidden": s["hidden"], "train": params(s["train"]), "runs": s["runs"]}

    def train_priority(self, wildcards):
        return priority(ESTIMATED_S["train"])

    def imp_round_priority(self, wildcards):
        return priority(ESTIMATED_S["imp"])

    def stable_cells_priority(self, wildcards):
        return priority(ESTIMATED_S["stable_cells"])

    def imp_round_inputs(self, wildcards):
        """Data, the dense run's stack, and round r-1 (r > 1)."""
        run = self.runs[self.imp[wildcards.imp_id]["run_id"]]
        inputs = {"data": self.data_file(run["data_id"]), "stack": self.stack_dir(run["stack_id"])}
        if int(wildcards.r) > 1:
            inputs["prev"] = self.imp_file(wildcards.imp_id, int(wildcards.r) - 1)
        return inputs

    def imp_round_params(self, wildcards):
        imp = self.imp[wildcards.imp_id]
        return {
            "imp_id": wildcards.imp_id,
            "run_id": imp["run_id"],
            "round": int(wildcards.r),
            "imp": params(imp["spec"]),
            "train": params(imp["train"]),
        }

    def extract_inputs(self, wildcards):
        run = self.runs[self.cubes[wildcards.cube_id]["run_id"]]
        return {"data": self.data_file(run["data_id"]), "stack": self.stack_dir(run["stack_id"])}

    def extract_params(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            "labels": self.labels(cube["run_id"]),
            "options": params(cube["options"]),
            "config": cube["config"],
        }

    def stable_cells_inputs(self, wildcards):
        return {"data": self.data_file(self.stable_cells[wildcards.stable_id]["data_id"])}

    def stable_cells_params(self, wildcards):
        st = self.stable_cells[wildcards.stable_id]
        return {
            "labels": {"data_id": st["data_id"], "N": st["N"]},
            "options": params(st["options"]),
            "config": st["config"],
        }

    def figure_inputs(self, wildcards):
        return self.inputs_of(wildcards.fig)

    def figure_options(self, wildcards):
        return params(self.figures[wildcards.fig])

    def table_inputs(self, wildcards=None):
        return self.inputs_of("table1")

    def table_options(self, wildcards=None):
        return params(self.tables["table1"])

    def inputs_of(self, name):
        """The cubes (and IMP masks) a figure or table reads, by kind."""
        if name == "fig7":
            by_n = sorted(self.stable_cells.items(), key=lambda kv: kv[1]["N"])
            return {"stable_cells": [self.stable_cells_file(k) for k, _ in by_n]}
        which, masks = FIGURE_RUNS.get(name, ("grid", False))
        runs = self.grid_runs
        if which == "sweep+grid":
            runs = list(dict.fromkeys(self.sweep_runs + self.grid_runs))
        files = {
            kind: [self.cube_files(self.cube_of[r])[kind] for r in runs]
            for kind in ("dynamics", "similarity")
        }
        if masks:
            files["masks"] = self.final_masks(runs)
        return files

    def final_masks(self, runs):
        return [
            self.imp_file(i, self.rounds, "masks")
            for r in runs
            for _, i in sorted(self.imp_of_run.get(r, {}).items())
        ]

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        figures = [self.paths.figure(f) for f in self.figures]
        tables = [self.paths.table("table1", ext) for ext in ("csv", "tex")]
        return figures + tables + [self.paths.table("task", "csv")]

    def claims_inputs(self):
        runs = list(dict.fromkeys(self.grid_runs + self.sweep_runs))
        return {
            **{
                kind: [self.cube_files(self.cube_of[r])[kind] for r in runs]
                for kind in ("dynamics", "similarity")
            },
            "masks": self.final_masks(self.grid_runs),
            "stable_cells": self.inputs_of("fig7")["stable_cells"],
        }

    def claims_options(self):
        race = self.config[STUDY]
        sweep = race["d_sweep"]
        return {
            "d": int(race["train"]["hidden"]),
            "sigma0": [float(s) for s in race["grid"]["sigma0"]],
            "seeds": list(race["grid"]["seeds"]),
            "sweep": {
                "hidden": list(sweep["hidden"]),
                "sigma0": float(sweep["sigma0"]),
                "seeds": list(sweep["seeds"]),
            },
            "early_step": self.figures["fig4"].early_step,
            "pruning_step": self.figures["fig5"].early_step,
        }

    def artifacts(self):
        return plan_artifacts(self)


def build_plan(config):
    race = config[STUDY]
    plan = RacePlan(config, plan_device(config.get("device", "auto")))
    grid, sweep = race["grid"], race["d_sweep"]

    def add_run(n, hidden, sigma0, seed):
        data_id, spec = ids.data_spec(config, n)
        plan.datasets[data_id] = spec
        train = ids.train_spec(config, n, plan.device)
        run_id, record = ids.run_record(data_id, n, hidden, sigma0, seed, train)
        plan.runs.setdefault(run_id, record)
        return run_id

    for n in grid["n_train"]:
        for sigma0 in grid["sigma0"]:
            for seed in grid["seeds"]:
                plan.grid_runs.append(add_run(n, race["train"]["hidden"], sigma0, seed))
    for n in sweep["n_train"]:
        for d in sweep["hidden"]:
            for seed in sweep["seeds"]:
                plan.sweep_runs.append(add_run(n, d, sweep["sigma0"], seed))
    plan.grid_runs = list(dict.fromkeys(plan.grid_runs))
    plan.sweep_runs = list(dict.fromkeys(plan.sweep_runs))
    plan.stacks = ids.stacks_of(plan.runs)

    plan.rounds = int(race["imp"]["rounds"])
    for run_id in plan.grid_runs:
        if plan.runs[run_id]["seed"] in race["imp"]["seeds"]:
            for imp_id, record in ids.imp_records(config, run_id, plan.runs[run_id]).items():
                plan.imp[imp_id] = record
                plan.imp_of_run.setdefault(run_id, {})[record["spec"].sparsity] = imp_id

    extract = ids.extract_options(config)
    for run_id in dict.fromkeys(plan.grid_runs + plan.sweep_runs):
        cube_id, record = ids.cube_record(run_id, plan.runs[run_id], extract)
        plan.cubes[cube_id] = record
        plan.cube_of[run_id] = cube_id
    for n in grid["n_train"]:
        data_id, _ = ids.data_spec(config, n)
        stable_id, record = ids.stable_cells_record(config, data_id, n)
        plan.stable_cells[stable_id] = record

    def checkpoint_steps_of(n):
        return ids.train_spec(config, n, plan.device).checkpoint_steps

    plan.figures = resolve_figures(config, extract, checkpoint_steps_of)
    plan.tables = resolve_tables(config, extract)
    return plan
