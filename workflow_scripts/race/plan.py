"""From the validated config to the artifacts of the race study, their ids and paths.

Artifacts (ids = readable label + hash of the fully resolved parameters, ``spec_id``):
- data sets: one per N (source, groups, N, test size, subset seed, resize, preprocess);
- runs: one per (data set, d, sigma_0, seed, training settings, dump schedule);
- stacks: the training jobs. Runs that share (data set, d, training settings) are
  trained together in one process (batched matmuls); a stack's output is a directory
  with one file per run (``<run_id>.pt``). Adding a seed or sigma_0 to the grid changes
  the stack of that (N, d) and so retrains it;
- IMP rounds: one per (base run, target sparsity, round r, pruning choices); round r
  depends on round r-1 (round 0 = the base run), so a new sparsity adds only its rounds;
- cubes: a dynamics and a similarity cube per run, stable cells per data set.
``rules/race.smk`` only calls the methods here; nothing here imports torch or matplotlib.
"""

from dataclasses import asdict, dataclass, field

from .. import datasets
from ..store.catalog import Artifact
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from .schedule import checkpoint_steps, resolve_total_steps
from .specs import DataSpec, ExtractOptions, ImpSpec, StableCellOptions, TrainSettings, resolved

STUDY = "race"
FIGURES = ("fig1", "fig3", "fig4", "fig5", "fig7")
TABLES = ("results/tables/race/table1.csv", "results/tables/race/table1.tex")
FIGURES_WITH_MASKS = ("fig1", "fig5")


def data_file(data_id):
    return f"results/race/data/{data_id}.pt"


def stack_dir(stack_id):
    return f"results/race/stacks/{stack_id}"


def imp_round_file(imp_id, r):
    return f"results/race/imp/{imp_id}/round{r}.pt"


def imp_masks_file(imp_id, r):
    return f"results/race/imp/{imp_id}/masks{r}.pt"


def cube_files(cube_id):
    return {
        "dynamics": f"results/race/cubes/{cube_id}.dynamics.nc",
        "similarity": f"results/race/cubes/{cube_id}.similarity.nc",
    }


def stable_cells_file(stable_id):
    return f"results/race/cubes/{stable_id}.stable_cells.nc"


def figure_file(fig):
    return f"results/figs/race/{fig}.pdf"


@dataclass
class RacePlan:
    config: dict
    datasets: dict = field(default_factory=dict)  # data_id -> DataSpec
    runs: dict = field(
        default_factory=dict
    )  # run_id -> {"stack_key", "data_id", "seed", "sigma0", "hidden", "N", "spec"}
    stacks: dict = field(
        default_factory=dict
    )  # stack_id -> {"data_id", "hidden", "train", "runs": [...]}
    imp: dict = field(
        default_factory=dict
    )  # imp_id -> {"run_id", "spec": ImpSpec, "train", "config"}
    cubes: dict = field(default_factory=dict)  # cube_id -> {"run_id", "options", "config"}
    run_cube: dict = field(default_factory=dict)  # run_id -> cube_id
    stable: dict = field(default_factory=dict)  # stable_id -> {"data_id", "options", "config", "N"}
    grid_runs: list = field(default_factory=list)  # run ids of the default grid
    sweep_runs: list = field(default_factory=list)  # run ids of the d sweep
    imp_of_run: dict = field(default_factory=dict)  # run_id -> {sparsity: imp_id}
    rounds: int = 3

    def __post_init__(self):
        self.paths = StudyPaths.of(STUDY, self.config)

    # -- building ------------------------------------------------------------------

    def dataset(self, n_train):
        d = self.config[STUDY]["data"]
        spec = DataSpec(
            source=d["source"],
            groups=tuple(tuple(map(int, g)) for g in d["groups"]),
            n_train=int(n_train),
            n_test=int(d["n_test"]),
            seed=int(d["seed"]),
            resize=d["resize"],
            preprocess=d["preprocess"],
            data_dir=str(self.config.get("data_dir", "data")),
            download=bool(d["download"]),
        )
        data_id = spec_id(f"{spec.source}-N{n_train}", spec.identity())
        self.datasets[data_id] = spec
        return data_id

    def train_settings(self, n_train):
        t, c = self.config[STUDY]["train"], self.config[STUDY]["checkpoints"]
        total = resolve_total_steps(
            n_train, t["batch_size"], epochs=t.get("epochs"), steps=t.get("steps")
        )
        return TrainSettings(
            lr=t["lr"],
            momentum=t["momentum"],
            batch_size=t["batch_size"],
            window=t["window"],
            method=t["method"],
            total_steps=total,
            checkpoint_steps=tuple(
                checkpoint_steps(total, c["dense_until"], c["dense_every"], c["n_log"])
            ),
        )

    def run(self, n_train, hidden, sigma0, seed):
        data_id = self.dataset(n_train)
        train = asdict(self.train_settings(n_train))
        spec = {
            "data": data_id,
            "hidden": int(hidden),
            "sigma0": float(sigma0),
            "seed": int(seed),
            "train": train,
        }
        run_id = spec_id(f"N{n_train}-d{hidden}-s{float(sigma0):g}-seed{seed}", spec)
        stack_key = spec_id("key", {"data": data_id, "hidden": int(hidden), "train": train})
        self.runs.setdefault(
            run_id,
            {
                "stack_key": stack_key,
                "data_id": data_id,
                "seed": int(seed),
                "sigma0": float(sigma0),
                "hidden": int(hidden),
                "N": int(n_train),
                "spec": spec,
            },
        )
        return run_id

    def finish_stacks(self):
        """Group runs into stacks; the stack id hashes its shape and its member runs."""
        groups = {}
        for run_id, r in self.runs.items():
            groups.setdefault(r["stack_key"], []).append(run_id)
        for key, members in groups.items():
            members = sorted(members)
            first = self.runs[members[0]]
            stack_id = spec_id(
                f"N{first['N']}-d{first['hidden']}-x{len(members)}",
                {"members": members, "shape": key},
            )
            self.stacks[stack_id] = {
                "data_id": first["data_id"],
                "hidden": first["hidden"],
                "train": first["spec"]["train"],
                "runs": [
                    {"run_id": m, "seed": self.runs[m]["seed"], "sigma0": self.runs[m]["sigma0"]}
                    for m in members
                ],
            }
            for m in members:
                self.runs[m]["stack_id"] = stack_id

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

    def data_spec(self, wildcards):
        return datasets.without_location(asdict(self.datasets[wildcards.data_id]))

    def stack_data(self, wildcards):
        return data_file(self.stacks[wildcards.stack_id]["data_id"])

    def stack_spec(self, wildcards):
        s = self.stacks[wildcards.stack_id]
        return {
            "hidden": s["hidden"],
            "train": s["train"],
            "runs": s["runs"],
            "resume_every": self.config[STUDY]["train"]["resume_every"],
        }

    def imp_inputs(self, wildcards):
        """Data, the dense run's stack, and round r-1 (r > 1)."""
        run = self.runs[self.imp[wildcards.imp_id]["run_id"]]
        inputs = {"data": data_file(run["data_id"]), "stack": stack_dir(run["stack_id"])}
        if int(wildcards.r) > 1:
            inputs["prev"] = imp_round_file(wildcards.imp_id, int(wildcards.r) - 1)
        return inputs

    def imp_spec(self, wildcards):
        imp = self.imp[wildcards.imp_id]
        return {
            "imp_id": wildcards.imp_id,
            "run_id": imp["run_id"],
            "round": int(wildcards.r),
            "imp": asdict(imp["spec"]),
            "train": imp["train"],
            "resume_every": self.config[STUDY]["train"]["resume_every"],
        }

    def extract_inputs(self, wildcards):
        run = self.runs[self.cubes[wildcards.cube_id]["run_id"]]
        return {"data": data_file(run["data_id"]), "stack": stack_dir(run["stack_id"])}

    def extract_spec(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            "labels": self.labels(cube["run_id"]),
            "options": asdict(cube["options"]),
            "config": cube["config"],
        }

    def stable_cells_data(self, wildcards):
        return data_file(self.stable[wildcards.stable_id]["data_id"])

    def stable_cells_spec(self, wildcards):
        st = self.stable[wildcards.stable_id]
        return {
            "labels": {"data_id": st["data_id"], "N": st["N"]},
            "options": asdict(st["options"]),
            "config": st["config"],
        }

    def figure_inputs(self, wildcards):
        return self.record_files(wildcards.fig)

    def figure_options(self, wildcards):
        return self.config[STUDY]["figures"][wildcards.fig]

    def table_inputs(self):
        return self.record_files("table1")

    def record_files(self, name):
        """The cubes (and IMP masks) a figure or table reads, by kind."""
        if name == "fig7":
            return {
                "stable_cells": [
                    stable_cells_file(k)
                    for k, v in sorted(self.stable.items(), key=lambda kv: kv[1]["N"])
                ]
            }
        runs = (
            list(dict.fromkeys(self.sweep_runs + self.grid_runs))
            if name == "fig3"
            else self.grid_runs
        )
        files = {
            kind: [cube_files(self.run_cube[r])[kind] for r in runs]
            for kind in ("dynamics", "similarity")
        }
        if name in FIGURES_WITH_MASKS:
            files["masks"] = [
                imp_masks_file(i, self.rounds)
                for r in runs
                for _, i in sorted(self.imp_of_run.get(r, {}).items())
            ]
        return files

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return [figure_file(f) for f in FIGURES] + list(TABLES)

    def claims_inputs(self):
        runs = list(dict.fromkeys(self.grid_runs + self.sweep_runs))
        return {
            "dynamics": [cube_files(self.run_cube[r])["dynamics"] for r in runs],
            "similarity": [cube_files(self.run_cube[r])["similarity"] for r in runs],
            "masks": self.record_files("fig5")["masks"],
            "stable_cells": self.record_files("fig7")["stable_cells"],
        }

    def claims_options(self):
        race = self.config[STUDY]
        sweep = race["d_sweep"]
        return {
            "d": race["train"]["hidden"],
            "sigma0": list(race["grid"]["sigma0"]),
            "seeds": list(race["grid"]["seeds"]),
            "sweep": {
                "hidden": list(sweep["hidden"]),
                "sigma0": float(sweep["sigma0"]),
                "seeds": list(sweep["seeds"]),
            },
            "early_step": race["figures"]["fig4"].get("early_step", 50),
        }

    def artifacts(self):
        out = [
            Artifact(
                STUDY,
                "data",
                d,
                data_file(d),
                "torch",
                {"N": s.n_train, "source": s.source},
                asdict(s),
            )
            for d, s in self.datasets.items()
        ]
        for run_id, r in self.runs.items():
            labels = {k: v for k, v in self.labels(run_id).items() if k != "run_id"}
            out.append(
                Artifact(
                    STUDY,
                    "run",
                    run_id,
                    f"{stack_dir(r['stack_id'])}/{run_id}.pt",
                    "torch",
                    labels,
                    r["spec"],
                )
            )
            cube_id = self.run_cube.get(run_id)
            if cube_id:
                for kind, path in cube_files(cube_id).items():
                    out.append(
                        Artifact(
                            STUDY,
                            "cube" if kind == "dynamics" else kind,
                            cube_id,
                            path,
                            "netcdf",
                            labels,
                            self.cubes[cube_id]["config"],
                        )
                    )
        for imp_id, imp in self.imp.items():
            labels = {
                **{k: v for k, v in self.labels(imp["run_id"]).items() if k != "run_id"},
                "sparsity": imp["spec"].sparsity,
            }
            for r in range(1, self.rounds + 1):
                for kind, path in (
                    ("imp", imp_round_file(imp_id, r)),
                    ("imp_masks", imp_masks_file(imp_id, r)),
                ):
                    out.append(
                        Artifact(
                            STUDY,
                            kind,
                            f"{imp_id}/{r}",
                            path,
                            "torch",
                            {**labels, "round": r},
                            imp["config"],
                        )
                    )
        for stable_id, st in self.stable.items():
            out.append(
                Artifact(
                    STUDY,
                    "stable_cells",
                    stable_id,
                    stable_cells_file(stable_id),
                    "netcdf",
                    {"N": st["N"]},
                    st["config"],
                )
            )
        out += [
            Artifact(
                STUDY,
                "figure",
                f,
                figure_file(f),
                "pdf",
                {"figure": f},
                self.config[STUDY]["figures"][f],
            )
            for f in FIGURES
        ]
        out += [
            Artifact(
                STUDY,
                "table",
                "table1",
                TABLES[0],
                "csv",
                {"table": "table1"},
                self.config[STUDY]["figures"]["table1"],
            )
        ]
        return out


def build_plan(config):
    race = config[STUDY]
    plan = RacePlan(config)
    grid, sweep = race["grid"], race["d_sweep"]
    for n in grid["n_train"]:
        for sigma0 in grid["sigma0"]:
            for seed in grid["seeds"]:
                plan.grid_runs.append(plan.run(n, race["train"]["hidden"], sigma0, seed))
    for n in sweep["n_train"]:
        for d in sweep["hidden"]:
            for seed in sweep["seeds"]:
                plan.sweep_runs.append(plan.run(n, d, sweep["sigma0"], seed))
    plan.grid_runs = list(dict.fromkeys(plan.grid_runs))
    plan.sweep_runs = list(dict.fromkeys(plan.sweep_runs))
    plan.finish_stacks()

    imp = race["imp"]
    plan.rounds = int(imp["rounds"])
    for run_id in plan.grid_runs:
        r = plan.runs[run_id]
        if r["seed"] not in imp["seeds"]:
            continue
        # IMP rounds keep the start and end weights only, and masks need the direct method
        train = {
            **r["spec"]["train"],
            "method": "direct",
            "checkpoint_steps": [0, r["spec"]["train"]["total_steps"]],
        }
        for s in imp["sparsities"]:
            spec = ImpSpec(
                sparsity=float(s),
                rounds=plan.rounds,
                prune_output_layer=bool(imp["prune_output_layer"]),
                rewind=imp["rewind"],
            )
            config_ = {"run": r["spec"], "imp": asdict(spec), "train": train}
            imp_id = spec_id(f"{run_id.rsplit('-', 1)[0]}-p{float(s):g}", config_)
            plan.imp[imp_id] = {"run_id": run_id, "spec": spec, "train": train, "config": config_}
            plan.imp_of_run.setdefault(run_id, {})[float(s)] = imp_id

    options = resolved(ExtractOptions, race["extract"])
    for run_id in dict.fromkeys(plan.grid_runs + plan.sweep_runs):
        cube_spec = {"run": plan.runs[run_id]["spec"], "options": asdict(options)}
        cube_id = spec_id(run_id.rsplit("-", 1)[0], cube_spec)
        plan.cubes[cube_id] = {"run_id": run_id, "options": options, "config": cube_spec}
        plan.run_cube[run_id] = cube_id

    cells = resolved(StableCellOptions, race["stable_cells"])
    for n in grid["n_train"]:
        data_id = plan.dataset(n)
        spec = {"data": data_id, "options": asdict(cells)}
        stable_id = spec_id(f"N{n}", spec)
        plan.stable[stable_id] = {"data_id": data_id, "options": cells, "config": spec, "N": int(n)}
    return plan
