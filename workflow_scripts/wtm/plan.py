"""From the validated config to the artifacts of the wtm study, their ids and paths.

Every artifact id is a readable label plus a hash of the resolved parameters that
produce it (``store.ids.spec_id``), so two configurations never share a path and
equal runs asked for twice (e.g. by a figure and by the noise sweep) are built once.

Seeds: every named run is planned once per seed of ``wtm.seeds`` (a run that sets its
own ``seed`` keeps that one). Figures of a single run read its first seed; Fig 3 and
the claims read every seed (``seed_cubes``). Only requested artifacts are built, so a
named run no figure or claim reads over seeds (``bad``) trains its first seed only.
``rules/wtm.smk`` only calls the methods here (input and params functions take the
job's wildcards); nothing here imports torch or matplotlib.
"""

from dataclasses import asdict, dataclass, field

from ..store.catalog import Artifact
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from .specs import PatternSpec, TrainSpec

STUDY = "wtm"
FIGURES = ("fig1", "fig2", "fig3", "fig4", "noise_generalization")
SPLITS = ("train", "test")
DATA_KEYS = (
    "n_features",
    "n_patterns",
    "active_per_pattern",
    "overlapping_masks",
    "train_per_pattern",
    "test_per_pattern",
    "pattern_seed",
)


def data_file(data_id, split):
    return f"results/wtm/data/{data_id}/{split}.npz"


def checkpoints_dir(run_id):
    return f"results/wtm/runs/{run_id}/checkpoints"


def cube_file(cube_id):
    return f"results/wtm/cubes/{cube_id}.nc"


def eval_file(eval_id):
    return f"results/wtm/evals/{eval_id}.nc"


def figure_file(fig):
    return f"results/figs/wtm/{fig}.pdf"


@dataclass
class WtmPlan:
    config: dict
    datasets: dict = field(default_factory=dict)  # data_id -> PatternSpec
    runs: dict = field(default_factory=dict)  # run_id -> {"data_id", "train": TrainSpec, "spec"}
    named_runs: dict = field(default_factory=dict)  # config run name -> run_id (first seed)
    cubes: dict = field(default_factory=dict)  # cube_id -> {"name", "run_id", "test_data_id", ...}
    run_cube: dict = field(default_factory=dict)  # run name -> cube_id (first seed)
    seed_runs: dict = field(default_factory=dict)  # run name -> [run_id per seed]
    seed_cubes: dict = field(default_factory=dict)  # run name -> [cube_id per seed]
    evals: dict = field(default_factory=dict)  # eval_id -> {"run_id", "test_data_ids", ...}

    def __post_init__(self):
        self.paths = StudyPaths.of(STUDY, self.config)

    # -- building ------------------------------------------------------------------

    def dataset(self, sigma):
        wtm = self.config[STUDY]
        spec = PatternSpec(**{k: wtm["data"][k] for k in DATA_KEYS}, sigma=float(sigma))
        data_id = spec_id(f"sigma{spec.sigma:g}-patterns{spec.pattern_seed}", asdict(spec))
        self.datasets[data_id] = spec
        return data_id

    def run(self, sigma_train, overrides):
        wtm = self.config[STUDY]
        train = TrainSpec(
            **{**wtm["train"], **overrides},
            checkpoint_dense_until=wtm["checkpoints"]["dense_until"],
            checkpoint_every=wtm["checkpoints"]["every"],
        )
        data_id = self.dataset(sigma_train)
        spec = {"data": asdict(self.datasets[data_id]), "train": asdict(train)}
        label = (
            f"{train.optimizer}-{train.activation}-h{train.hidden}"
            f"-sigma{float(sigma_train):g}-seed{train.seed}"
        )
        run_id = spec_id(label, spec)
        self.runs[run_id] = {"data_id": data_id, "train": train, "spec": spec}
        return run_id

    # -- what the rules ask (wildcards -> files / params) ----------------------------

    def data_spec(self, wildcards):
        return asdict(self.datasets[wildcards.data_id])

    def train_data(self, wildcards):
        return data_file(self.runs[wildcards.run_id]["data_id"], "train")

    def train_spec(self, wildcards):
        return asdict(self.runs[wildcards.run_id]["train"])

    def extract_inputs(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        run = self.runs[cube["run_id"]]
        return {
            "checkpoints": checkpoints_dir(cube["run_id"]),
            "train_data": data_file(run["data_id"], "train"),
            "test_data": data_file(cube["test_data_id"], "test"),
        }

    def extract_spec(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            "name": cube["name"],
            "run_id": cube["run_id"],
            "activation": self.runs[cube["run_id"]]["train"].activation,
            "neurons": cube["neurons"],
            "train_per_pattern": cube["train_per_pattern"],
            "config": cube["config"],
        }

    def noise_eval_inputs(self, wildcards):
        ev = self.evals[wildcards.eval_id]
        return {
            "checkpoints": checkpoints_dir(ev["run_id"]),
            "test_data": [data_file(t, "test") for t in ev["test_data_ids"]],
        }

    def noise_eval_spec(self, wildcards):
        ev = self.evals[wildcards.eval_id]
        return {
            "run_id": ev["run_id"],
            "activation": self.runs[ev["run_id"]]["train"].activation,
            "sigma_train": ev["sigma_train"],
            "seed": ev["seed"],
            "config": ev["config"],
        }

    def figure_inputs(self, wildcards):
        """Cubes a figure reads, keyed so the figure code finds each run by name."""
        if wildcards.fig == "noise_generalization":
            return {"evals": [eval_file(e) for e in sorted(self.evals)]}
        opts = self.config[STUDY]["figures"][wildcards.fig]
        names = opts["runs"] if "runs" in opts else [opts["run"]]
        files = {name: cube_file(self.run_cube[name]) for name in names}
        if wildcards.fig == "fig3":  # the accuracy panel: every seed of the ablations and
            for name in dict.fromkeys(names + [opts.get("reference", "good")]):  # the full model
                files[f"seeds_{name}"] = self.seed_cube_files(name)
        return files

    def seed_cube_files(self, name):
        return [cube_file(c) for c in self.seed_cubes[name]]

    def figure_options(self, wildcards):
        return self.config[STUDY]["figures"][wildcards.fig]

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return [figure_file(f) for f in FIGURES]

    def claims_inputs(self):
        """The runs the claims read, every seed: fig2's run (WTM spread; the full model
        the ablations are compared with), fig3's ablations, fig4's run (difficulty), and
        the noise sweep."""
        figs = self.config[STUDY]["figures"]
        return {
            "full": self.seed_cube_files(figs["fig2"]["run"]),
            "ablations": [c for n in figs["fig3"]["runs"] for c in self.seed_cube_files(n)],
            "difficulty": self.seed_cube_files(figs["fig4"]["run"]),
            "evals": [eval_file(e) for e in sorted(self.evals)],
        }

    def claims_options(self):
        return {}

    def artifacts(self):
        out = [
            Artifact(
                STUDY,
                "data",
                f"{d}/{split}",
                data_file(d, split),
                "npz",
                {"sigma": s.sigma, "split": split},
                asdict(s),
            )
            for d, s in self.datasets.items()
            for split in SPLITS
        ]
        names = {run_id: name for name, ids in self.seed_runs.items() for run_id in ids}
        for run_id, run in self.runs.items():
            t = run["train"]
            labels = {
                "sigma_train": run["spec"]["data"]["sigma"],
                "activation": t.activation,
                "hidden": t.hidden,
                "optimizer": t.optimizer,
                "seed": t.seed,
            }
            if run_id in names:
                labels["name"] = names[run_id]
            out.append(
                Artifact(
                    STUDY,
                    "run",
                    run_id,
                    checkpoints_dir(run_id),
                    "checkpoint_dir",
                    labels,
                    run["spec"],
                )
            )
        for cube_id, cube in self.cubes.items():
            t = self.runs[cube["run_id"]]["train"]
            labels = {
                "name": cube["name"],
                "sigma_train": cube["config"]["run"]["data"]["sigma"],
                "activation": t.activation,
                "hidden": t.hidden,
                "seed": t.seed,
            }
            out.append(
                Artifact(
                    STUDY, "cube", cube_id, cube_file(cube_id), "netcdf", labels, cube["config"]
                )
            )
        for eval_id, ev in self.evals.items():
            out.append(
                Artifact(
                    STUDY,
                    "eval",
                    eval_id,
                    eval_file(eval_id),
                    "netcdf",
                    {"sigma_train": ev["sigma_train"], "seed": ev["seed"]},
                    ev["config"],
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
        return out


def run_seeds(wtm):
    """Seeds of the named runs: ``wtm.seeds``, else the base ``train.seed`` (or 0)."""
    return list(wtm.get("seeds") or [wtm["train"].get("seed", 0)])


def build_plan(config):
    wtm = config[STUDY]
    plan = WtmPlan(config)
    extract = wtm["extract"]
    for name, run in wtm["runs"].items():
        overrides = {k: v for k, v in run.items() if k != "sigma_train"}
        seeds = [overrides.pop("seed")] if "seed" in overrides else run_seeds(wtm)
        for seed in seeds:
            run_id = plan.run(run["sigma_train"], {**overrides, "seed": seed})
            test_data_id = plan.dataset(extract["sigma_test"])
            cube_spec = {
                "run": plan.runs[run_id]["spec"],
                "test_data": asdict(plan.datasets[test_data_id]),
                "neurons": extract["neurons"],
                "train_per_pattern": extract["train_per_pattern"],
            }
            cube_id = spec_id(f"{name}-{run_id.rsplit('-', 1)[0]}", cube_spec)
            plan.cubes[cube_id] = {
                "name": name,
                "run_id": run_id,
                "test_data_id": test_data_id,
                "neurons": extract["neurons"],
                "train_per_pattern": extract["train_per_pattern"],
                "config": cube_spec,
            }
            plan.seed_runs.setdefault(name, []).append(run_id)
            plan.seed_cubes.setdefault(name, []).append(cube_id)
        plan.named_runs[name] = plan.seed_runs[name][0]
        plan.run_cube[name] = plan.seed_cubes[name][0]
    sweep = wtm["figures"]["noise_generalization"]
    test_ids = [plan.dataset(s) for s in sweep["sigma_test"]]
    for sigma_train in sweep["sigma_train"]:
        for seed in sweep["seeds"]:
            run_id = plan.run(sigma_train, {"seed": seed})
            eval_spec = {
                "run": plan.runs[run_id]["spec"],
                "test_data": [asdict(plan.datasets[t]) for t in test_ids],
            }
            eval_id = spec_id(run_id.rsplit("-", 1)[0], eval_spec)
            plan.evals[eval_id] = {
                "run_id": run_id,
                "test_data_ids": test_ids,
                "sigma_train": float(sigma_train),
                "seed": seed,
                "config": eval_spec,
            }
    return plan
