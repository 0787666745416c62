"""From the validated config to the artifacts of the samplesets study, their ids and paths.

Artifacts (ids: readable label + hash of the resolved parameters, ``specs.identity``):
- the data split: one file holding the seeded train / validation split of the source;
- runs: one per (net, seed): a directory of weight checkpoints at the planned steps;
- cubes: one per run, the per-node sample-set counts and metrics on the validation set;
- activation cubes: the binary (time, node, sample) activations of the runs named in
  ``samplesets.activations``;
- figures, and the grid summary table.
``rules/samplesets.smk`` only calls the methods here; nothing here imports torch or
matplotlib.
"""

from dataclasses import fields

from ..runtime import plan_device
from ..scheduling import priority
from ..specs import identity, params
from ..store.catalog import Artifact
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from . import cost
from .figure_specs import FIGURES, TABLES
from .resolve import STUDY, caption_setup, data_spec, planned_nets, train_spec
from .specs import ActivationOptions, ExtractOptions

# how a cube is computed from a run (resolved here so that cube ids hash them)
EXTRACT = ExtractOptions()
ACTIVATIONS = ActivationOptions()


class SamplesetsPlan:
    def __init__(self, config):
        s = config[STUDY]
        self.config = config
        self.paths = StudyPaths.of(STUDY, config)
        self.device = plan_device(config["device"])
        self.data = data_spec(config)
        label = f"{self.data.source}-{self.data.n_train}-{self.data.n_validation}"
        self.data_id = spec_id(f"{label}-split{self.data.split_seed}", identity(self.data))
        self.datasets = {self.data_id: self.data}
        self.nets = planned_nets(config)  # net name -> Net
        self.seeds = sorted(int(x) for x in s["seeds"])
        self.runs = {}  # run_id -> {"net", "seed", "train": TrainSpec, "spec": hashed}
        self.run_of = {}  # (net name, seed) -> run_id
        self.cubes = {}  # cube_id -> {"run_id", "config": hashed}
        self.cube_of = {}  # run_id -> cube_id
        self.activations = {}  # activation cube id -> {"run_id", "config": hashed}
        for net in self.nets.values():
            for seed in s["seeds"]:
                self._add_run(net, int(seed))
        for entry in s["activations"]:
            if (entry["net"], int(entry["seed"])) in self.run_of:  # else config_problems
                self._add_activations(entry["net"], int(entry["seed"]))
        self.setup = caption_setup(config, self.data)  # what every caption states
        self.figures = {f: self._options(FIGURES[f], s["figures"][f]) for f in FIGURES}
        self.tables = {t: self._options(TABLES[t], {}) for t in TABLES}

    def _add_run(self, net, seed):
        train = train_spec(self.config, self.data, net, seed)
        spec = {"data": identity(self.data), "train": identity(train)}
        run_id = spec_id(f"{net.name}-seed{seed}", spec)
        self.runs[run_id] = {"net": net, "seed": seed, "train": train, "spec": spec}
        self.run_of[(net.name, seed)] = run_id
        cube_spec = {"run": spec, "cube": identity(EXTRACT)}
        cube_id = spec_id(f"{net.name}-seed{seed}", cube_spec)
        self.cubes[cube_id] = {"run_id": run_id, "config": cube_spec}
        self.cube_of[run_id] = cube_id

    def _add_activations(self, net_name, seed):
        run_id = self.run_of[(net_name, seed)]
        spec = {"run": self.runs[run_id]["spec"], "activations": identity(ACTIVATIONS)}
        self.activations[spec_id(f"{net_name}-seed{seed}", spec)] = {
            "run_id": run_id,
            "config": spec,
        }

    def _options(self, cls, values):
        """``cls`` (a figure's or table's options) from its config values, with the
        fields that follow from the rest of the config filled in here."""
        derived = {"setup": self.setup, "nets": tuple(self.nets)}
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in derived.items() if k in names}, **values)

    # -- lookups ---------------------------------------------------------------------

    def labels(self, run_id):
        run = self.runs[run_id]
        net = run["net"]
        return {
            "net": net.name,
            "depth": net.depth,
            "width": net.width,
            "loss": net.loss,
            "seed": run["seed"],
            "init": run["train"].init,
            "source": self.data.source,
        }

    def net_cubes(self, net_name, seeds=None):
        """Cube files of a net's runs (every seed unless named), in seed order."""
        return [
            self.paths.cube(self.cube_of[self.run_of[(net_name, s)]])
            for s in (self.seeds if seeds is None else seeds)
        ]

    def all_cubes(self):
        return [path for net in self.nets for path in self.net_cubes(net)]

    def data_file(self):
        return self.paths.data(self.data_id, "npz")

    # -- what the rules ask (wildcards -> files / params) --------------------------------

    def data_params(self, wildcards):
        return params(self.data)

    def train_inputs(self, wildcards):
        return {"data": self.data_file()}

    def train_params(self, wildcards):
        run = self.runs[wildcards.run_id]
        data = identity(self.data)  # part of the resume fingerprint
        return {"run_id": wildcards.run_id, "train": params(run["train"]), "data": data}

    def _cube_params(self, run_id, config):
        return {
            "run_id": run_id,
            "labels": self.labels(run_id),
            "train": params(self.runs[run_id]["train"]),
            "config": config,
        }

    def extract_inputs(self, wildcards):
        run_id = self.cubes[wildcards.cube_id]["run_id"]
        return {"checkpoints": self.paths.checkpoints(run_id), "data": self.data_file()}

    def extract_params(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return self._cube_params(cube["run_id"], cube["config"])

    def activations_inputs(self, wildcards):
        run_id = self.activations[wildcards.act_id]["run_id"]
        return {"checkpoints": self.paths.checkpoints(run_id), "data": self.data_file()}

    def activations_params(self, wildcards):
        act = self.activations[wildcards.act_id]
        return {**self._cube_params(act["run_id"], act["config"]), "options": params(ACTIVATIONS)}

    # Snakemake priorities: the estimated seconds of the job (``cost``), longest first
    def train_priority(self, wildcards):
        return priority(cost.train_seconds(self.runs[wildcards.run_id]["train"]))

    def _forward_priority(self, run_id):
        spec = self.runs[run_id]["train"]
        return priority(cost.forward_seconds(spec, self.data.n_validation))

    def extract_priority(self, wildcards):
        return self._forward_priority(self.cubes[wildcards.cube_id]["run_id"])

    def activations_priority(self, wildcards):
        return self._forward_priority(self.activations[wildcards.act_id]["run_id"])

    def activations_file(self, act_id):
        return self.paths.artifact("activations", f"{act_id}.nc")

    def table_inputs(self, wildcards):
        return {"cubes": self.all_cubes()}

    def table_options(self, wildcards):
        return params(self.tables[wildcards.table])

    def figure_inputs(self, wildcards):
        """The cubes of the nets (every seed, or the one seed) the figure's options name."""
        options = self.figures[wildcards.fig]
        nets = getattr(options, "nets", None) or [options.net]
        seeds = [options.seed] if hasattr(options, "seed") else None
        return {"cubes": [path for net in nets for path in self.net_cubes(net, seeds)]}

    def figure_options(self, wildcards):
        return params(self.figures[wildcards.fig])

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return (
            [self.paths.figure(f) for f in FIGURES]
            + [self.paths.table(t) for t in self.tables]
            + [self.activations_file(a) for a in self.activations]
        )

    def claims_inputs(self):
        """Cubes the claims read, by role: the figures' nets, and every net (errors)."""
        figs = self.figures
        return {
            "ce": self.net_cubes(figs["fig5"].net),
            "mse": self.net_cubes(figs["fig9"].net),
            "shallow_mse": self.net_cubes(figs["fig10"].net),
            "all": self.all_cubes(),
        }

    def claims_options(self):
        return {"source": self.data.source}

    def artifacts(self):
        data_labels = {k: getattr(self.data, k) for k in ("source", "n_train", "n_validation")}
        out = [
            Artifact(
                STUDY, "data", self.data_id, self.data_file(), "npz", data_labels, params(self.data)
            )
        ]
        for run_id, run in self.runs.items():
            labels = self.labels(run_id)
            cube_id = self.cube_of[run_id]
            out += [
                Artifact(
                    STUDY,
                    "run",
                    run_id,
                    self.paths.checkpoints(run_id),
                    "checkpoint_dir",
                    labels,
                    run["spec"],
                ),
                Artifact(
                    STUDY,
                    "cube",
                    cube_id,
                    self.paths.cube(cube_id),
                    "netcdf",
                    labels,
                    self.cubes[cube_id]["config"],
                ),
            ]
        for act_id, act in self.activations.items():
            labels = self.labels(act["run_id"])
            path = self.activations_file(act_id)
            out.append(
                Artifact(STUDY, "activations", act_id, path, "netcdf", labels, act["config"])
            )
        variant = self.paths.variant
        for fig, options in self.figures.items():
            labels = {"figure": fig, "variant": variant}
            path = self.paths.figure(fig)
            out.append(Artifact(STUDY, "figure", fig, path, "pdf", labels, params(options)))
        for table, options in self.tables.items():
            labels = {"table": table, "variant": variant}
            path = self.paths.table(table)
            out.append(Artifact(STUDY, "table", table, path, "csv", labels, params(options)))
        return out


def build_plan(config):
    return SamplesetsPlan(config)
