"""From the validated config to the artifacts of the race study and their ids.

Artifacts (ids = readable label + hash of the fully resolved parameters, ``spec_id``):
- data sets: one per N (source, groups, N, test size, subset seed, resize);
- runs: one per (data set, d, sigma_0, seed, training settings, dump schedule);
- stacks: the training jobs. Runs that share (data set, d, training settings, dump
  schedule) are trained together in one process (batched matmuls); a stack's output
  is a directory with one file per run (``<run_id>.pt``). Adding a seed or sigma_0 to
  the grid changes the stack of that (N, d) and so retrains it;
- IMP rounds: one per (base run, target sparsity, round r, pruning choices); round r
  depends on round r-1 (round 0 = the base run), so a new sparsity adds only its rounds;
- cubes: the metrics helper's dynamics + similarity cubes per run, stable cells per
  data set.
The rules only look things up here; this module has no Snakemake dependency.
"""

from dataclasses import dataclass, field

from ..store.ids import spec_id
from .train import checkpoint_steps, resolve_total_steps

FIGURES = ["fig1", "fig3", "fig4", "fig5", "fig7"]
TRAIN_KEYS = ("lr", "momentum", "batch_size", "window", "method")


@dataclass
class RacePlan:
    datasets: dict = field(default_factory=dict)  # data_id -> data spec
    runs: dict = field(default_factory=dict)  # run_id -> {"stack_id", "data_id", "seed", "sigma0", "hidden", "N"}
    stacks: dict = field(default_factory=dict)  # stack_id -> {"data_id", "train", "runs": [...]}
    imp: dict = field(default_factory=dict)  # imp_id -> {"run_id", "sparsity", "spec", "train"}
    cubes: dict = field(default_factory=dict)  # cube_id -> {"run_id", "config"}
    run_cube: dict = field(default_factory=dict)  # run_id -> cube_id
    stable: dict = field(default_factory=dict)  # stable_id -> {"data_id", "options", "config"}
    grid_runs: list = field(default_factory=list)  # run ids of the default grid
    sweep_runs: list = field(default_factory=list)  # run ids of the d sweep
    imp_of_run: dict = field(default_factory=dict)  # run_id -> {sparsity: imp_id}
    rounds: int = 3

    def dataset(self, race, data_dir, n_train):
        d = race["data"]
        spec = {"source": d["source"], "data_dir": str(data_dir), "download": bool(d["download"]),
                "groups": [list(map(int, g)) for g in d["groups"]], "n_train": int(n_train),
                "n_test": int(d["n_test"]), "seed": int(d["seed"]), "resize": d["resize"]}
        # where the source lives and whether it may be downloaded do not change the data
        ident = {k: v for k, v in spec.items() if k not in ("data_dir", "download")}
        data_id = spec_id(f"{spec['source']}-N{n_train}", ident)
        self.datasets[data_id] = spec
        return data_id

    def train_settings(self, race, n_train):
        t = race["train"]
        total = resolve_total_steps(n_train, t["batch_size"], epochs=t.get("epochs"),
                                    steps=t.get("steps"))
        c = race["checkpoints"]
        return {**{k: t[k] for k in TRAIN_KEYS}, "total_steps": total,
                "checkpoint_steps": checkpoint_steps(total, c["dense_until"], c["dense_every"],
                                                     c["n_log"])}

    def run(self, race, data_dir, n_train, hidden, sigma0, seed):
        data_id = self.dataset(race, data_dir, n_train)
        train = self.train_settings(race, n_train)
        spec = {"data": data_id, "hidden": int(hidden), "sigma0": float(sigma0),
                "seed": int(seed), "train": train}
        run_id = spec_id(f"N{n_train}-d{hidden}-s{float(sigma0):g}-seed{seed}", spec)
        stack_spec = {"data": data_id, "hidden": int(hidden), "train": train}
        stack_key = spec_id("key", stack_spec)
        if run_id not in self.runs:
            self.runs[run_id] = {"stack_key": stack_key, "data_id": data_id, "seed": int(seed),
                                 "sigma0": float(sigma0), "hidden": int(hidden),
                                 "N": int(n_train), "spec": spec}
        return run_id

    def finish_stacks(self):
        """Group runs into stacks; the stack id hashes its shape and its member runs."""
        groups = {}
        for run_id, r in self.runs.items():
            groups.setdefault(r["stack_key"], []).append(run_id)
        for key, members in groups.items():
            members = sorted(members)
            first = self.runs[members[0]]
            spec = {"members": members, "shape": key}
            stack_id = spec_id(f"N{first['N']}-d{first['hidden']}-x{len(members)}", spec)
            self.stacks[stack_id] = {
                "data_id": first["data_id"], "hidden": first["hidden"],
                "train": first["spec"]["train"],
                "runs": [{"run_id": m, "seed": self.runs[m]["seed"],
                          "sigma0": self.runs[m]["sigma0"]} for m in members],
            }
            for m in members:
                self.runs[m]["stack_id"] = stack_id


def build_plan(config):
    race = config["race"]
    data_dir = config.get("data_dir", "data")
    plan = RacePlan()
    grid = race["grid"]
    hidden = race["train"]["hidden"]
    for n in grid["n_train"]:
        for sigma0 in grid["sigma0"]:
            for seed in grid["seeds"]:
                plan.grid_runs.append(plan.run(race, data_dir, n, hidden, sigma0, seed))
    sweep = race["d_sweep"]
    for n in sweep["n_train"]:
        for d in sweep["hidden"]:
            for seed in sweep["seeds"]:
                plan.sweep_runs.append(plan.run(race, data_dir, n, d, sweep["sigma0"], seed))
    plan.grid_runs = list(dict.fromkeys(plan.grid_runs))
    plan.sweep_runs = list(dict.fromkeys(plan.sweep_runs))
    plan.finish_stacks()

    imp = race["imp"]
    plan.rounds = int(imp["rounds"])
    for run_id in plan.grid_runs:
        r = plan.runs[run_id]
        if r["seed"] not in imp["seeds"]:
            continue
        train = dict(r["spec"]["train"])
        train["checkpoint_steps"] = [0, train["total_steps"]]  # IMP rounds keep start + end
        train["method"] = "direct"  # masks need it
        for s in imp["sparsities"]:
            spec = {"run": r["spec"], "sparsity": float(s), "rounds": plan.rounds,
                    "prune_output_layer": bool(imp["prune_output_layer"]),
                    "rewind": imp["rewind"], "global": True, "train": train}
            imp_id = spec_id(f"{run_id.rsplit('-', 1)[0]}-p{float(s):g}", spec)
            plan.imp[imp_id] = {"run_id": run_id, "sparsity": float(s), "spec": spec,
                                "train": train}
            plan.imp_of_run.setdefault(run_id, {})[float(s)] = imp_id

    options = dict(race["extract"])
    for run_id in dict.fromkeys(plan.grid_runs + plan.sweep_runs):
        cube_spec = {"run": plan.runs[run_id]["spec"], "options": options}
        cube_id = spec_id(run_id.rsplit("-", 1)[0], cube_spec)
        plan.cubes[cube_id] = {"run_id": run_id, "options": options, "config": cube_spec}
        plan.run_cube[run_id] = cube_id

    sc = race["stable_cells"]
    for n in grid["n_train"]:
        data_id = plan.dataset(race, data_dir, n)
        spec = {"data": data_id, "options": dict(sc)}
        stable_id = spec_id(f"N{n}", spec)
        plan.stable[stable_id] = {"data_id": data_id, "options": dict(sc), "config": spec,
                                  "N": int(n)}
    return plan


def _matches(run, labels):
    for key, want in labels.items():
        if want is None:
            continue
        got = run[key]
        if isinstance(want, float) or isinstance(got, float):
            if abs(float(got) - float(want)) > 1e-6 * max(abs(float(want)), 1e-300):
                return False
        elif got != want:
            return False
    return True


def figure_reference_problems(plan, race):
    """Figure options that name no planned run / IMP sparsity (config_check style messages).

    The figures pick runs by label (figures.race._first); a label outside the grid would
    only fail in the figure job after every run was trained, so it is reported at plan
    time, naming the key.
    """
    figs, grid, imp = race["figures"], race["grid"], race["imp"]
    problems = []

    def need(fig, run_ids, what, **labels):
        if not any(_matches(plan.runs[r], labels) for r in run_ids):
            shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in labels.items() if v is not None)
            problems.append(f"config key race.figures.{fig}: no {what} run with {shown} "
                            f"(race.grid: sigma0 {grid['sigma0']}, n_train {grid['n_train']}, "
                            f"seeds {grid['seeds']}; race.train.hidden {race['train']['hidden']}; "
                            f"race.d_sweep: hidden {race['d_sweep']['hidden']})")

    def need_imp(fig, sparsities, seed):
        known = [float(x) for x in imp["sparsities"]]
        for sp in sparsities:
            if not any(abs(float(sp) - k) < 1e-9 for k in known):
                problems.append(f"config key race.figures.{fig}: sparsity {sp:g} is not in "
                                f"race.imp.sparsities {imp['sparsities']}")
        if sparsities and seed is not None and seed not in imp["seeds"]:
            problems.append(f"config key race.figures.{fig}: seed {seed} has no IMP runs "
                            f"(race.imp.seeds {imp['seeds']})")

    o = figs["fig1"]
    need("fig1", plan.grid_runs, "grid", sigma0=o.get("sigma0"), N=o.get("N"), seed=o.get("seed"))
    if "sparsity" in o:
        need_imp("fig1", [o["sparsity"]], o.get("seed"))
    o = figs["fig3"]
    both = list(dict.fromkeys(plan.sweep_runs + plan.grid_runs))
    for sigma in o.get("sigmas") or grid["sigma0"]:
        need("fig3", both, "grid or d-sweep", sigma0=float(sigma), N=o.get("N"),
             hidden=o.get("d"), seed=o.get("seed"))
    for fig in ("fig4", "fig5"):
        o = figs[fig]
        for sigma in o.get("sigmas") or grid["sigma0"]:
            for n in o.get("Ns") or grid["n_train"]:
                need(fig, plan.grid_runs, "grid", sigma0=float(sigma), N=n, seed=o.get("seed"))
    need_imp("fig5", figs["fig5"].get("sparsities", [0.2, 0.5, 0.7]), figs["fig5"].get("seed"))
    return list(dict.fromkeys(problems))


def imp_round_files(imp_id, r):
    return {"run": f"results/race/imp/{imp_id}/round{r}.pt",
            "masks": f"results/race/imp/{imp_id}/masks{r}.pt"}


def run_records(plan, run_ids, with_pruned=True):
    """The figure records (labels + artifact paths) of runs, as figures.race expects."""
    records = []
    for run_id in run_ids:
        r = plan.runs[run_id]
        cube_id = plan.run_cube[run_id]
        rec = {"run_id": run_id, "sigma0": r["sigma0"], "N": r["N"], "d": r["hidden"],
               "seed": r["seed"],
               "dynamics": f"results/race/cubes/{cube_id}.dynamics.nc",
               "similarity": f"results/race/cubes/{cube_id}.similarity.nc"}
        if with_pruned and run_id in plan.imp_of_run:
            rec["pruned"] = {s: imp_round_files(i, plan.rounds)["masks"]
                             for s, i in sorted(plan.imp_of_run[run_id].items())}
        records.append(rec)
    return records


def figure_records(plan, name):
    if name == "fig7":
        return [{"N": v["N"], "stable_cells": f"results/race/cubes/{k}.stable_cells.nc"}
                for k, v in sorted(plan.stable.items(), key=lambda kv: kv[1]["N"])]
    if name == "fig3":
        return run_records(plan, list(dict.fromkeys(plan.sweep_runs + plan.grid_runs)),
                           with_pruned=False)
    return run_records(plan, plan.grid_runs, with_pruned=name in ("fig1", "fig5"))


# -- paths and input lists for the rules (kept here so the rule file has no functions)


def data_file(data_id):
    return f"results/race/data/{data_id}.pt"


def stack_dir(stack_id):
    return f"results/race/stacks/{stack_id}"


def imp_inputs(plan, imp_id, r):
    """Inputs of IMP round r: data, the dense run's stack, and round r-1 (r > 1)."""
    run = plan.runs[plan.imp[imp_id]["run_id"]]
    inputs = {"data": data_file(run["data_id"]), "stack": stack_dir(run["stack_id"])}
    if int(r) > 1:
        inputs["prev"] = imp_round_files(imp_id, int(r) - 1)["run"]
    return inputs


def extract_inputs(plan, cube_id):
    run = plan.runs[plan.cubes[cube_id]["run_id"]]
    return {"data": data_file(run["data_id"]), "stack": stack_dir(run["stack_id"])}
