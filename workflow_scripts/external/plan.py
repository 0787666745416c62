"""From the validated config to the external study's artifacts, ids and paths.

A run is a model and a series of checkpoint files written by someone else's training
script (``runs.resolve``). Per (run, checkpoint), two jobs, so a cluster runs checkpoints
in parallel, each with the resources of its rule:

- measure: one pass over the probe images (selectivity, sample sets, CKA, accuracy):
  ``parts/<measure_id>/<checkpoint>.measure.nc`` (the id hashes the model, the probe data,
  how checkpoints are read and the measurement options);
- ablate: the ablation curves, ranked by that checkpoint's SI:
  ``parts/<ablate_id>/<checkpoint>.ablation.nc`` (the id adds the ablation options);

then per (run, metric) a light merge orders the parts by training time into the cube
``cubes/<cube_id>.<metric>.nc``, and a figure per (run, metric). A checkpoint's name in the
store is its time plus a hash of its path, and its file is an input of its jobs: replacing
it reruns its jobs and the merges, adding one adds its jobs and reruns the merges.
No torch, no matplotlib.
"""

from dataclasses import dataclass, field

from .. import specs
from ..runtime import plan_device
from ..store.catalog import Artifact
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from .figure_specs import FIGURES
from .runs import STUDY, resolve

FIGURE_METRIC = {fig: fig for fig in FIGURES}  # each figure shows the metric of its name


@dataclass
class ExternalPlan:
    config: dict
    datasets: dict = field(default_factory=dict)  # data_id -> DataSpec
    runs: dict = field(default_factory=dict)  # run name -> runs.Run
    cubes: dict = field(default_factory=dict)  # "<cube_id>.<metric>" -> {run, metric, path}
    cube_of: dict = field(default_factory=dict)  # run name -> its first metric's cube key
    measures: dict = field(default_factory=dict)  # measure_id -> run name
    ablates: dict = field(default_factory=dict)  # ablate_id -> run name
    ids: dict = field(default_factory=dict)  # run name -> {data, measure, ablate, cube}

    def __post_init__(self):
        self.paths = StudyPaths.of(STUDY, self.config)
        self.device = plan_device(self.config["device"])

    # -- building ------------------------------------------------------------------

    def add(self, run):
        data = run.data
        label = data.folder.rstrip("/").rsplit("/", 1)[-1] if data.folder else data.source
        data_id = spec_id(f"{label}-{data.split}-n{data.n}", specs.identity(data))
        self.datasets[data_id] = data
        measure = {
            "model": specs.identity(run.model),
            "load": specs.identity(run.load),
            "data": data_id,
            "extract": specs.identity(run.extract),
        }
        measure_id = spec_id(run.name, measure)
        ablate_id = None
        if run.ablation is not None:
            ablate_id = spec_id(run.name, {**measure, "ablation": specs.identity(run.ablation)})
            self.ablates[ablate_id] = run.name
        cube_id = spec_id(run.name, {"measure": measure_id, "ablate": ablate_id})
        self.runs[run.name] = run
        self.measures[measure_id] = run.name
        self.ids[run.name] = {"data": data_id, "measure": measure_id, "ablate": ablate_id}
        self.ids[run.name]["cube"] = cube_id
        for metric in run.metrics:
            key = f"{cube_id}.{metric}"
            self.cubes[key] = {"run": run.name, "metric": metric, "cube_id": cube_id}
            self.cube_of.setdefault(run.name, key)

    # -- paths -----------------------------------------------------------------------

    def part(self, owner, label, kind):
        return self.paths.artifact("parts", f"{owner}/{label}.{kind}.nc")

    def cube(self, run_name, metric):
        return self.paths.cube(self.ids[run_name]["cube"], metric)

    def figure(self, run_name, fig):
        return self.paths.figure(f"{run_name}/{fig}")

    def checkpoint(self, run_name, label):
        return next(c for c in self.runs[run_name].checkpoints if c.label == label)

    @property
    def labels(self):
        return sorted({c.label for r in self.runs.values() for c in r.checkpoints})

    # -- what the rules ask (wildcards -> files / params) ----------------------------

    def _run_params(self, run, label):
        c = self.checkpoint(run.name, label)
        return {
            "run": run.name,
            "checkpoint": {"label": c.label, "path": c.path, "step": c.step, "epoch": c.epoch},
            "time_unit": run.time_unit,
            "model": specs.params(run.model),
            "load": specs.params(run.load),
            "data": specs.params(run.data),
            "extract": specs.params(run.extract),
        }

    def measure_inputs(self, wildcards):
        run = self.runs[self.measures[wildcards.measure_id]]
        return {"checkpoint": self.checkpoint(run.name, wildcards.ckpt).path}

    def measure_params(self, wildcards):
        run = self.runs[self.measures[wildcards.measure_id]]
        return self._run_params(run, wildcards.ckpt)

    def ablate_inputs(self, wildcards):
        run = self.runs[self.ablates[wildcards.ablate_id]]
        measure = self.part(self.ids[run.name]["measure"], wildcards.ckpt, "measure")
        return {"checkpoint": self.checkpoint(run.name, wildcards.ckpt).path, "measure": measure}

    def ablate_params(self, wildcards):
        run = self.runs[self.ablates[wildcards.ablate_id]]
        return {**self._run_params(run, wildcards.ckpt), "ablation": specs.params(run.ablation)}

    def merge_inputs(self, wildcards):
        cube = self.cubes[f"{wildcards.cube_id}.{wildcards.metric}"]
        run = self.runs[cube["run"]]
        owner, kind = self._parts_of(run, cube["metric"])
        return {"parts": [self.part(owner, c.label, kind) for c in run.checkpoints]}

    def _parts_of(self, run, metric):
        if metric == "ablation":
            return self.ids[run.name]["ablate"], "ablation"
        return self.ids[run.name]["measure"], "measure"

    def merge_params(self, wildcards):
        cube = self.cubes[f"{wildcards.cube_id}.{wildcards.metric}"]
        run = self.runs[cube["run"]]
        return {
            "run": run.name,
            "metric": cube["metric"],
            "cube_id": wildcards.cube_id,
            "time_unit": run.time_unit,
            "config": self.cube_config(run),
            "labels": self.labels_of(run),
        }

    def cube_config(self, run):
        return {
            "model": specs.params(run.model),
            "load": specs.params(run.load),
            "data": specs.params(run.data),
            "extract": specs.params(run.extract),
            "ablation": None if run.ablation is None else specs.params(run.ablation),
        }

    def labels_of(self, run):
        return {"run": run.name, "model": run.model.name}

    def figure_inputs(self, wildcards):
        return {"cube": self.cube(wildcards.run, FIGURE_METRIC[wildcards.fig])}

    def figure_options(self, wildcards):
        return specs.params(self.options_of(wildcards.run, wildcards.fig))

    def options_of(self, run_name, fig):
        run = self.runs[run_name]
        d = run.data
        where = d.folder or d.source
        common = {
            "run": run.name,
            "model": run.model.name,
            "probe": f"{d.n or 'all'} {d.split} images of {where}",
            "time_unit": run.time_unit,
            "n_checkpoints": len(run.checkpoints),
        }
        chosen = dict(self.config[STUDY]["figures"].get(fig) or {})
        if fig == "ablation":
            a = run.ablation
            extra = {"groups": tuple(g for g, _ in a.groups), "fractions": a.fractions}
            extra["draws"] = a.draws
        elif fig == "cka":
            e = run.extract
            extra = {"layers": e.cka_layers, "cka_precision": e.cka_precision}
            extra["batch_size"] = e.batch_size
        else:
            extra = {"layers": run.extract.layers}
            if fig == "selectivity":
                extra["floor_seed"] = run.extract.floor_seed
        return FIGURES[fig](**common, **extra, **chosen)

    def figures_of(self, run):
        return [f for f in FIGURES if FIGURE_METRIC[f] in run.metrics]

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return [self.figure(r.name, f) for r in self.runs.values() for f in self.figures_of(r)]

    def claims_inputs(self):
        return {}

    def claims_options(self):
        return {}

    def artifacts(self):
        out = []
        for run in self.runs.values():
            labels, config = self.labels_of(run), self.cube_config(run)
            for metric in run.metrics:
                key = f"{self.ids[run.name]['cube']}.{metric}"
                path = self.cube(run.name, metric)
                out.append(
                    Artifact(
                        STUDY, "cube", key, path, "netcdf", {**labels, "metric": metric}, config
                    )
                )
            for c in run.checkpoints:
                for metric in ("measure", "ablation"):
                    owner = self.ids[run.name]["measure" if metric == "measure" else "ablate"]
                    if owner is None:
                        continue
                    out.append(
                        Artifact(
                            STUDY,
                            f"part_{metric}",
                            f"{owner}/{c.label}",
                            self.part(owner, c.label, metric),
                            "netcdf",
                            {**labels, "checkpoint": c.label, "step": c.step, "epoch": c.epoch},
                            config,
                        )
                    )
            for fig in self.figures_of(run):
                options = specs.params(self.options_of(run.name, fig))
                out.append(
                    Artifact(
                        STUDY,
                        "figure",
                        f"{run.name}/{fig}",
                        self.figure(run.name, fig),
                        "pdf",
                        {**labels, "figure": fig, "variant": self.paths.variant},
                        options,
                    )
                )
        return out


def build_plan(config):
    plan = ExternalPlan(config)
    for name in config[STUDY]["runs"]:
        run, problems = resolve(name, config)
        if problems:  # config_check reports them first; a plan built without it says so
            raise ValueError("invalid external run:\n  " + "\n  ".join(problems))
        plan.add(run)
    return plan
