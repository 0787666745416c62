"""From the validated config to the artifacts of the selectivity study, ids and paths.

Artifacts (ids = readable label + hash of the fully resolved parameters, ``spec_id``;
the parameters are resolved in ``resolve.py``):
- the data file: which images train, which are held out for SI/CKA (probe) and for
  ablation accuracy, and the normalisation (one per data spec);
- runs: one per (seed, regulariser setting); the baseline runs (no regulariser, every
  seed) and the regularised runs (one per onset and regulariser seed). A run's output
  is its directory of checkpoints ``step_<n>.pt`` (``store.checkpoints``);
- parts (``layout.py``): the extraction of a group of a run's checkpoints
  (``parts/<extract_id>/<part>.extract.nc``: class means, SI and its noise floor,
  accuracy, CKA; the id hashes the run and the extraction options) and, for baseline
  runs, their ablation curves (``parts/<cube_id>/<part>.ablate.nc``; the cube id adds
  the ablation options, so changing those reruns the ablation, not the extraction);
- cubes: one per run, the parts merged along the checkpoint dimension by a light job.
``rules/selectivity.smk`` only calls the methods here; no torch, no matplotlib.
"""

from dataclasses import dataclass, field

from .. import specs
from ..runtime import plan_device
from ..scheduling import priority
from ..store.catalog import Artifact
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from . import resolve
from .figure_specs import FIGURES, REGULARISED_FIGURES
from .layout import BASELINE, REGULARISED, Cube, Run
from .resolve import claims_options, figure_options
from .specs import NO_REGULARIZER

STUDY = "selectivity"
# Snakemake priorities (``scheduling``: estimated seconds on one idle core, the default
# build's medians): the ablation jobs are the longest and wait on the baseline runs
TRAIN_S, EXTRACT_S = {"baseline": 110, "regularised": 45}, {"baseline": 50, "regularised": 18}
ABLATE_S = 135


@dataclass
class SelectivityPlan:
    config: dict
    paths: StudyPaths
    device: str
    datasets: dict = field(default_factory=dict)  # data_id -> DataSpec
    runs: dict = field(default_factory=dict)  # run_id -> layout.Run
    cubes: dict = field(default_factory=dict)  # cube_id -> layout.Cube
    cube_of: dict = field(default_factory=dict)  # run_id -> cube_id
    extracts: dict = field(default_factory=dict)  # extract_id -> run_id
    test_labels: dict = field(default_factory=dict)  # run_id -> checkpoints tested on n_test
    baseline: list = field(default_factory=list)  # run ids, by seed
    regularised: list = field(default_factory=list)  # run ids (figs 6-7)
    extract: object = None  # specs.ExtractOptions
    ablation: object = None  # specs.AblationOptions
    figures: dict = field(default_factory=dict)  # fig -> its options (figure_specs.FIGURES)
    claims: object = None  # figure_specs.ClaimsOptions

    # -- building ----------------------------------------------------------------------

    @property
    def study(self):
        return self.config[STUDY]

    @property
    def ablated_cubes(self):
        return [c for c, cube in self.cubes.items() if cube.ablate]

    @property
    def parts(self):
        """Every part name of every run (the rules' wildcard values)."""
        return {p for run in self.runs.values() for p in run.parts()}

    def add_data(self):
        data = resolve.data_spec(self.study)
        data_id = spec_id(resolve.data_label(data), specs.identity(data))
        self.datasets[data_id] = data
        return data_id

    def add_run(self, data_id, seed, reg):
        train = resolve.train_spec(self.study, seed, reg, self.device)
        role = BASELINE if reg.alpha == 0 else REGULARISED
        run = Run(data_id, train, role, self.extract.checkpoints_per_job)
        r = "" if reg.alpha == 0 else f"-a{reg.alpha:g}-on{reg.onset:g}{reg.onset_unit[0]}"
        run_id = spec_id(f"{train.model.name}{r}-seed{seed}", run.spec())
        self.runs.setdefault(run_id, run)
        return run_id

    def add_cube(self, run_id, ablate):
        label = run_id.rsplit("-", 1)[0]
        config = {"run": self.runs[run_id].spec(), "extract": specs.identity(self.extract)}
        if self.test_labels.get(run_id):
            config["test_accuracy"] = {"checkpoints": list(self.test_labels[run_id])}
        extract_id = spec_id(label, config)  # extraction parts: ablation options not needed
        self.extracts[extract_id] = run_id
        if ablate:
            config["ablation"] = specs.identity(self.ablation)
        cube_id = spec_id(label, config)  # = extract_id for a cube without ablation
        self.cubes[cube_id] = Cube(run_id, extract_id, ablate, config)
        self.cube_of[run_id] = cube_id
        return cube_id

    # -- what the rules ask (wildcards -> files / params) ------------------------------

    def part_file(self, owner, part, kind):
        return self.paths.artifact("parts", f"{owner}/{part}.{kind}.nc")

    def data_params(self, wildcards):
        return specs.params(self.datasets[wildcards.data_id])

    def train_inputs(self, wildcards):
        return {"data": self.paths.data(self.runs[wildcards.run_id].data_id, "npz")}

    def train_priority(self, wildcards):
        return priority(TRAIN_S[self.runs[wildcards.run_id].role])

    def extract_priority(self, wildcards):
        return priority(EXTRACT_S[self.runs[self.extracts[wildcards.extract_id]].role])

    def ablate_priority(self, wildcards):
        return priority(ABLATE_S)

    def train_params(self, wildcards):
        run = self.runs[wildcards.run_id]
        return {
            "run_id": wildcards.run_id,
            "train": specs.params(run.train),
            "data": specs.params(self.datasets[run.data_id]),
        }

    def _run_inputs(self, run_id):
        return {
            "data": self.paths.data(self.runs[run_id].data_id, "npz"),
            "checkpoints": self.paths.checkpoints(run_id),
        }

    def _part_params(self, run_id, part, config):
        run = self.runs[run_id]
        return {
            "run_id": run_id,
            "labels": run.parts()[part],
            "train": specs.params(run.train),
            "data": specs.params(self.datasets[run.data_id]),
            "extract": specs.params(self.extract),
            "test_labels": [x for x in self.test_labels.get(run_id, ()) if x in run.parts()[part]],
            "config": config,
        }

    def extract_inputs(self, wildcards):
        return self._run_inputs(self.extracts[wildcards.extract_id])

    def extract_params(self, wildcards):
        run_id = self.extracts[wildcards.extract_id]
        config = self.cubes[self.cube_of[run_id]].config
        config = {k: v for k, v in config.items() if k != "ablation"}
        return self._part_params(run_id, wildcards.part, config)

    def ablate_inputs(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            **self._run_inputs(cube.run_id),
            "extract": self.part_file(cube.extract_id, wildcards.part, "extract"),
        }

    def ablate_params(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            **self._part_params(cube.run_id, wildcards.part, cube.config),
            "ablation": specs.params(self.ablation),
        }

    def merge_inputs(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        names = list(self.runs[cube.run_id].parts())
        inputs = {"extract": [self.part_file(cube.extract_id, p, "extract") for p in names]}
        if cube.ablate:
            inputs["ablate"] = [self.part_file(wildcards.cube_id, p, "ablate") for p in names]
        return inputs

    def merge_params(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            "cube_id": wildcards.cube_id,
            "run_id": cube.run_id,
            "config": cube.config,
            "labels": self.runs[cube.run_id].labels(),
        }

    def cube_files(self, run_ids):
        return [self.paths.cube(self.cube_of[r]) for r in run_ids]

    def figure_inputs(self, wildcards):
        inputs = {"baseline": self.cube_files(self.baseline)}
        if wildcards.fig in REGULARISED_FIGURES:
            inputs["regularised"] = self.cube_files(self.regularised)
        return inputs

    def figure_options(self, wildcards):
        return specs.params(self.figures[wildcards.fig])

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return [self.paths.figure(f) for f in FIGURES]

    def claims_inputs(self):
        return {
            "baseline": self.cube_files(self.baseline),
            "regularised": self.cube_files(self.regularised),
        }

    def claims_options(self):
        return specs.params(self.claims)

    def artifacts(self):
        out = [
            Artifact(
                STUDY,
                "data",
                data_id,
                self.paths.data(data_id, "npz"),
                "npz",
                {"source": d.source, "n_train": d.n_train},
                specs.identity(d),
            )
            for data_id, d in self.datasets.items()
        ]
        for run_id, run in self.runs.items():
            labels = run.labels()
            checkpoints = self.paths.checkpoints(run_id)
            out.append(
                Artifact(STUDY, "run", run_id, checkpoints, "checkpoint_dir", labels, run.spec())
            )
            cube_id = self.cube_of[run_id]
            cube = self.cubes[cube_id]
            out.append(
                Artifact(
                    STUDY, "cube", cube_id, self.paths.cube(cube_id), "netcdf", labels, cube.config
                )
            )
            owners = [("extract", cube.extract_id)] + ([("ablate", cube_id)] if cube.ablate else [])
            for part in run.parts():
                for kind, owner in owners:
                    out.append(
                        Artifact(
                            STUDY,
                            f"part_{kind}",
                            f"{owner}/{part}",
                            self.part_file(owner, part, kind),
                            "netcdf",
                            {**labels, "checkpoints": part},
                            cube.config,
                        )
                    )
        variant = self.paths.variant
        out += [
            Artifact(
                STUDY,
                "figure",
                fig,
                self.paths.figure(fig),
                "pdf",
                {"figure": fig, "variant": variant},
                specs.params(options),
            )
            for fig, options in self.figures.items()
        ]
        return out


def build_plan(config):
    s = config[STUDY]
    plan = SelectivityPlan(
        config=config,
        paths=StudyPaths.of(STUDY, config),
        device=plan_device(config["device"]),
        extract=resolve.extract_options(s["extract"]),
        ablation=resolve.ablation_options(s["ablation"]),
        figures=figure_options(s),
        claims=claims_options(s),
    )
    data_id = plan.add_data()
    r = s["regularizer"]
    tested = [resolve.regulariser_end_label(s)]  # where figs 6-7 read the test accuracy

    def add(seed, reg, ablate):
        run_id = plan.add_run(data_id, seed, reg)
        if seed in r["seeds"]:
            plan.test_labels[run_id] = tested
        plan.add_cube(run_id, ablate=ablate)
        return run_id

    for seed in s["seeds"]:
        plan.baseline.append(add(seed, NO_REGULARIZER, ablate=True))
    for seed in r["seeds"]:
        if seed not in s["seeds"]:  # the unregularised reference of figs 6-7
            plan.regularised.append(add(seed, NO_REGULARIZER, ablate=False))
        for onset in resolve.onsets(r):
            plan.regularised.append(add(seed, resolve.regularizer(r, onset), ablate=False))
    return plan
