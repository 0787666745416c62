"""From the validated config to the artifacts of the wtm study, their ids and paths.

Every artifact id is a readable label plus a hash of the resolved parameters that
produce it (``specs.identity``), so two configurations never share a path and equal
runs asked for twice (e.g. by a figure and by the noise sweep) are built once.

Seeds: every named run is planned once per seed of ``wtm.seeds`` (a run that sets its
own ``seed`` keeps that one). Figures of a single run read its first seed; Fig 3 and
the claims read every seed (``seed_cubes``). Only requested artifacts are built, so a
named run no figure or claim reads over seeds (``bad``) trains its first seed only.
``rules/wtm.smk`` only calls the methods here (input and params functions take the
job's wildcards); nothing here imports torch or matplotlib.
"""

from dataclasses import dataclass, field, fields

from ..runtime import plan_device
from ..scheduling import priority
from ..specs import from_params, identity, params
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from . import resolve
from .artifacts import artifacts
from .figure_specs import FIGURES
from .specs import DataSpec, ExtractOptions, TrainSpec

STUDY = "wtm"
# Snakemake priority (``scheduling``: estimated seconds on one idle core): the median
# training job of the default build (19 s; 29 jobs of at most 100 epochs, 3-28 s); its
# other jobs are short
ESTIMATED_S = {"train": 19}
DATA_KEYS = tuple(f.name for f in fields(DataSpec) if f.name != "sigma")


@dataclass
class WtmPlan:
    config: dict
    paths: StudyPaths
    device: str
    figures: dict  # figure name -> its resolved options (figure_specs.FIGURES)
    datasets: dict = field(default_factory=dict)  # data_id -> DataSpec
    runs: dict = field(default_factory=dict)  # run_id -> {"data_id", "train": TrainSpec, "spec"}
    cubes: dict = field(default_factory=dict)  # cube_id -> {"name", "run_id", "test_data_id", ...}
    cube_of: dict = field(default_factory=dict)  # run_id -> cube_id (its first named cube)
    seed_runs: dict = field(default_factory=dict)  # run name -> [run_id per seed]
    seed_cubes: dict = field(default_factory=dict)  # run name -> [cube_id per seed]
    evals: dict = field(default_factory=dict)  # eval_id -> {"run_id", "test_data_ids", ...}

    # -- building ------------------------------------------------------------------

    def dataset(self, sigma):
        data = self.config[STUDY]["data"]
        spec = DataSpec(**{k: data[k] for k in DATA_KEYS}, sigma=float(sigma))
        data_id = spec_id(f"sigma{spec.sigma:g}-patterns{spec.pattern_seed}", identity(spec))
        self.datasets[data_id] = spec
        return data_id

    def run(self, sigma_train, overrides):
        wtm = self.config[STUDY]
        train = from_params(
            TrainSpec,
            {
                **wtm["train"],
                **overrides,
                "checkpoint_dense_until": wtm["checkpoints"]["dense_until"],
                "checkpoint_every": wtm["checkpoints"]["every"],
            },
        )
        data_id = self.dataset(sigma_train)
        spec = {"data": identity(self.datasets[data_id]), "train": identity(train)}
        label = (
            f"{train.optimizer}-{train.activation}-h{train.hidden}"
            f"-sigma{float(sigma_train):g}-seed{train.seed}"
        )
        run_id = spec_id(label, spec)
        self.runs[run_id] = {"data_id": data_id, "train": train, "spec": spec}
        return run_id

    def cube(self, name, run_id, extract):
        """The cube of a named run: its checkpoints on its own train data and the test set
        at ``wtm.extract.sigma_test``."""
        test_data_id = self.dataset(self.config[STUDY]["extract"]["sigma_test"])
        spec = {
            "run": self.runs[run_id]["spec"],
            "test_data": identity(self.datasets[test_data_id]),
            **identity(extract),
        }
        cube_id = spec_id(f"{name}-{run_id.rsplit('-', 1)[0]}", spec)
        self.cubes[cube_id] = {
            "name": name,
            "run_id": run_id,
            "test_data_id": test_data_id,
            "extract": extract,
            "spec": spec,
        }
        self.cube_of.setdefault(run_id, cube_id)
        return cube_id

    def noise_eval(self, run_id, test_ids):
        """Final-checkpoint accuracy of a run at every test noise level of the sweep."""
        spec = {
            "run": self.runs[run_id]["spec"],
            "test_data": [identity(self.datasets[t]) for t in test_ids],
        }
        eval_id = spec_id(run_id.rsplit("-", 1)[0], spec)
        train = self.runs[run_id]["train"]
        self.evals[eval_id] = {
            "run_id": run_id,
            "test_data_ids": test_ids,
            "sigma_train": self.datasets[self.runs[run_id]["data_id"]].sigma,
            "seed": train.seed,
            "spec": spec,
        }
        return eval_id

    # -- paths -----------------------------------------------------------------------

    def data_file(self, data_id, split):
        return self.paths.data(data_id, "npz", split=split)

    def cube_file(self, cube_id):
        return self.paths.cube(cube_id)

    def eval_file(self, eval_id):
        return self.paths.artifact("evals", f"{eval_id}.nc")

    def first_seed_cube(self, name):
        """The cube of a named run's first seed (what single-run figures show)."""
        return self.cube_file(self.seed_cubes[name][0])

    def seed_cube_files(self, name):
        return [self.cube_file(c) for c in self.seed_cubes[name]]

    # -- what the rules ask (wildcards -> files / params) ----------------------------

    def data_params(self, wildcards):
        return params(self.datasets[wildcards.data_id])

    def train_inputs(self, wildcards):
        return {"data": self.data_file(self.runs[wildcards.run_id]["data_id"], "train")}

    def train_params(self, wildcards):
        return params(self.runs[wildcards.run_id]["train"])

    def train_priority(self, wildcards):
        return priority(ESTIMATED_S["train"])

    def extract_inputs(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            "checkpoints": self.paths.checkpoints(cube["run_id"]),
            "train_data": self.data_file(self.runs[cube["run_id"]]["data_id"], "train"),
            "test_data": self.data_file(cube["test_data_id"], "test"),
        }

    def extract_params(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            "name": cube["name"],
            "run_id": cube["run_id"],
            "options": params(cube["extract"]),
            "spec": cube["spec"],
        }

    def noise_eval_inputs(self, wildcards):
        ev = self.evals[wildcards.eval_id]
        return {
            "checkpoints": self.paths.checkpoints(ev["run_id"]),
            "test_data": [self.data_file(t, "test") for t in ev["test_data_ids"]],
        }

    def noise_eval_params(self, wildcards):
        ev = self.evals[wildcards.eval_id]
        return {k: ev[k] for k in ("run_id", "sigma_train", "seed", "spec")}

    def figure_inputs(self, wildcards):
        """The files a figure reads, by role (``options.input_roles``)."""
        return resolve.input_roles(self, self.figures[wildcards.fig])

    def figure_options(self, wildcards):
        return params(self.figures[wildcards.fig])

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return [self.paths.figure(f) for f in FIGURES]

    def claims_inputs(self):
        """The runs the claims read, every seed: fig2's run (WTM spread; the full model
        the ablations are compared with), fig3's ablations, fig4's run (difficulty), and
        the noise sweep."""
        figs = self.figures
        return {
            "full": self.seed_cube_files(figs["fig2"].run),
            "ablations": [c for n in figs["fig3"].runs for c in self.seed_cube_files(n)],
            "difficulty": self.seed_cube_files(figs["fig4"].run),
            "evals": [self.eval_file(e) for e in sorted(self.evals)],
        }

    def claims_options(self):
        return {}

    def artifacts(self):
        return artifacts(self)


def build_plan(config):
    wtm = config[STUDY]
    plan = WtmPlan(
        config,
        StudyPaths.of(STUDY, config),
        plan_device(config["device"]),
        resolve.figure_options(wtm),
    )
    # wtm.extract.sigma_test names the cubes' test set (a DataSpec); the rest is ExtractOptions
    extract = from_params(
        ExtractOptions, {f.name: wtm["extract"][f.name] for f in fields(ExtractOptions)}
    )
    for name, run in wtm["runs"].items():
        overrides = {k: v for k, v in run.items() if k != "sigma_train"}
        seeds = [overrides.pop("seed")] if "seed" in overrides else list(wtm["seeds"])
        for seed in seeds:
            run_id = plan.run(run["sigma_train"], {**overrides, "seed": seed})
            plan.seed_runs.setdefault(name, []).append(run_id)
            plan.seed_cubes.setdefault(name, []).append(plan.cube(name, run_id, extract))
    sweep = plan.figures["noise_generalization"]
    test_ids = [plan.dataset(s) for s in sweep.sigma_test]
    for sigma_train in sweep.sigma_train:
        for seed in sweep.seeds:
            plan.noise_eval(plan.run(sigma_train, {"seed": seed}), test_ids)
    return plan
