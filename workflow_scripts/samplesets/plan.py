"""From the validated config to the artifacts of the samplesets study, their ids and paths.

Artifacts (ids = readable label + hash of the fully resolved parameters, ``spec_id``):
- the data split: one file holding the seeded train / validation split of the source;
- runs: one per (net, seed): a directory of weight checkpoints at the planned steps;
- cubes: one per run, the per-node sample-set counts and metrics on the validation set;
- activation cubes: the binary (time, node, sample) activations of the runs named in
  ``samplesets.activations``;
- figures, and the grid summary table.
``rules/samplesets.smk`` only calls the methods here; nothing here imports torch or
matplotlib.
"""

import math
from dataclasses import asdict, dataclass, field

from .. import datasets
from ..store.catalog import Artifact
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from .specs import DataSpec, Net, TrainSpec, checkpoint_steps, steps_per_epoch

STUDY = "samplesets"
FIGURES = ("fig3", "fig4", "fig5", "fig6", "fig7", "fig9", "fig10", "grid")
GRID_TABLE = "results/tables/samplesets/grid.csv"
# how a cube is computed from a run (resolved here so that cube ids hash them)
CUBE_OPTIONS = {"split": "validation", "active": "pre-activation > 0", "counts": "exact int32"}
ACTIVATION_OPTIONS = {
    "split": "validation",
    "active": "pre-activation > 0",
    "packing": "np.packbits along samples, bitorder little",
    "node_chunk": 64,
}
FIGURE_DEFAULTS = {"grid": {"quantity": "activation_fraction"}}


def data_file(data_id):
    return f"results/{STUDY}/data/{data_id}.npz"


def run_dir(run_id):
    return f"results/{STUDY}/runs/{run_id}"


def cube_file(cube_id):
    return f"results/{STUDY}/cubes/{cube_id}.nc"


def activations_file(act_id):
    return f"results/{STUDY}/activations/{act_id}.nc"


def figure_file(fig):
    return f"results/figs/{STUDY}/{fig}.pdf"


def planned_nets(config):
    """Every net of the ``nets`` products, in config order, without repeats."""
    nets = {}
    for entry in config[STUDY]["nets"]:
        for depth in entry["depths"]:
            for width in entry["widths"]:
                for loss in entry["losses"]:
                    net = Net(int(depth), int(width), loss)
                    nets.setdefault(net.name, net)
    return nets


@dataclass
class SamplesetsPlan:
    config: dict
    data_id: str = ""
    data: DataSpec = None
    nets: dict = field(default_factory=dict)  # net name -> Net
    runs: dict = field(default_factory=dict)  # run_id -> {"net", "seed", "train", "spec"}
    run_of: dict = field(default_factory=dict)  # (net name, seed) -> run_id
    cubes: dict = field(default_factory=dict)  # cube_id -> {"run_id", "config"}
    cube_of: dict = field(default_factory=dict)  # run_id -> cube_id
    activations: dict = field(default_factory=dict)  # act_id -> {"run_id", "config"}

    def __post_init__(self):
        self.paths = StudyPaths.of(STUDY, self.config)

    # -- building ------------------------------------------------------------------

    def set_data(self):
        d = self.config[STUDY]["data"]
        self.data = DataSpec(
            source=d["source"],
            n_train=int(d["n_train"]),
            n_validation=int(d["n_validation"]),
            split_seed=int(d["split_seed"]),
            data_dir=str(self.config.get("data_dir", "data")),
            download=bool(d["download"]),
        )
        label = f"{self.data.source}-{self.data.n_train}-{self.data.n_validation}-split{self.data.split_seed}"
        self.data_id = spec_id(label, self.data.identity())

    def train_spec_of(self, net, seed):
        t, c = self.config[STUDY]["train"], self.config[STUDY]["checkpoints"]
        source = datasets.source(self.data.source)
        spe = steps_per_epoch(self.data.n_train, t["batch_size"])
        total = max(1, int(round(float(t["epochs"]) * spe)))
        return TrainSpec(
            depth=net.depth,
            width=net.width,
            loss=net.loss,
            n_in=math.prod(source.image_shape),
            n_classes=len(source.classes),
            bias=(True,) + (False,) * (net.depth - 1),
            init=t["init"],
            lr=float(t["lr"]),
            betas=tuple(float(b) for b in t["betas"]),
            eps=float(t["eps"]),
            adam_impl=t["adam_impl"],
            batch_size=int(t["batch_size"]),
            n_train=self.data.n_train,
            steps_per_epoch=spe,
            total_steps=total,
            checkpoint_steps=checkpoint_steps(total, c["n_log"], c["dense_until"]),
            seed=int(seed),
        )

    def add_run(self, net, seed):
        train = self.train_spec_of(net, seed)
        spec = {"data": self.data.identity(), "train": asdict(train)}
        run_id = spec_id(f"{net.name}-seed{seed}", spec)
        self.runs[run_id] = {"net": net, "seed": int(seed), "train": train, "spec": spec}
        self.run_of[(net.name, int(seed))] = run_id
        cube_spec = {"run": spec, "cube": CUBE_OPTIONS}
        cube_id = spec_id(f"{net.name}-seed{seed}", cube_spec)
        self.cubes[cube_id] = {"run_id": run_id, "config": cube_spec}
        self.cube_of[run_id] = cube_id

    def add_activations(self, net_name, seed):
        run_id = self.run_of[(net_name, int(seed))]
        spec = {"run": self.runs[run_id]["spec"], "activations": ACTIVATION_OPTIONS}
        self.activations[spec_id(f"{net_name}-seed{seed}", spec)] = {
            "run_id": run_id,
            "config": spec,
        }

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

    def net_cubes(self, net_name):
        """Cube files of every seed of a net, in seed order."""
        return [cube_file(self.cube_of[self.run_of[(net_name, s)]]) for s in sorted(self.seeds())]

    def seeds(self):
        return [int(s) for s in self.config[STUDY]["seeds"]]

    def all_cubes(self):
        return [
            cube_file(self.cube_of[self.run_of[(n, s)]])
            for n in self.nets
            for s in sorted(self.seeds())
        ]

    # -- what the rules ask (wildcards -> files / params) ----------------------------

    def data_spec(self, wildcards):
        return datasets.without_location(asdict(self.data))

    def train_data(self, wildcards):
        return data_file(self.data_id)

    def train_spec(self, wildcards):
        run = self.runs[wildcards.run_id]
        return {
            "run_id": wildcards.run_id,
            "train": asdict(run["train"]),
            "data": self.data.identity(),
            "resume_every": int(self.config[STUDY]["train"]["resume_every"]),
        }

    def extract_inputs(self, wildcards):
        return {
            "run": run_dir(self.cubes[wildcards.cube_id]["run_id"]),
            "data": data_file(self.data_id),
        }

    def extract_spec(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        run_id = cube["run_id"]
        return {
            "run_id": run_id,
            "labels": self.labels(run_id),
            "train": asdict(self.runs[run_id]["train"]),
            "config": cube["config"],
        }

    def activations_inputs(self, wildcards):
        return {
            "run": run_dir(self.activations[wildcards.act_id]["run_id"]),
            "data": data_file(self.data_id),
        }

    def activations_spec(self, wildcards):
        act = self.activations[wildcards.act_id]
        run_id = act["run_id"]
        return {
            "run_id": run_id,
            "labels": self.labels(run_id),
            "train": asdict(self.runs[run_id]["train"]),
            "node_chunk": ACTIVATION_OPTIONS["node_chunk"],
            "config": act["config"],
        }

    def figure_inputs(self, wildcards):
        fig = wildcards.fig
        if fig == "grid":
            return {"cubes": self.all_cubes()}
        opts = self.config[STUDY]["figures"][fig]
        if fig == "fig4":
            return {"cubes": [cube_file(self.cube_of[self.run_of[(opts["net"], opts["seed"])]])]}
        return {"cubes": self.net_cubes(opts["net"])}

    def figure_options(self, wildcards):
        return {
            **FIGURE_DEFAULTS.get(wildcards.fig, {}),
            **self.config[STUDY]["figures"][wildcards.fig],
        }

    def table_inputs(self, wildcards):
        return {"cubes": self.all_cubes()}

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return (
            [figure_file(f) for f in FIGURES]
            + [GRID_TABLE]
            + [activations_file(a) for a in self.activations]
        )

    def claims_inputs(self):
        """Cubes the claims read, by role: the figures' nets, and every net (errors)."""
        figs = self.config[STUDY]["figures"]
        return {
            "ce": self.net_cubes(figs["fig5"]["net"]),
            "mse": self.net_cubes(figs["fig9"]["net"]),
            "shallow_mse": self.net_cubes(figs["fig10"]["net"]),
            "all": self.all_cubes(),
        }

    def claims_options(self):
        return {"source": self.data.source}

    def artifacts(self):
        out = [
            Artifact(
                STUDY,
                "data",
                self.data_id,
                data_file(self.data_id),
                "npz",
                {
                    "source": self.data.source,
                    "n_train": self.data.n_train,
                    "n_validation": self.data.n_validation,
                },
                asdict(self.data),
            )
        ]
        for run_id, run in self.runs.items():
            labels = self.labels(run_id)
            out.append(
                Artifact(
                    STUDY, "run", run_id, run_dir(run_id), "checkpoint_dir", labels, run["spec"]
                )
            )
            cube_id = self.cube_of[run_id]
            out.append(
                Artifact(
                    STUDY,
                    "cube",
                    cube_id,
                    cube_file(cube_id),
                    "netcdf",
                    labels,
                    self.cubes[cube_id]["config"],
                )
            )
        for act_id, act in self.activations.items():
            out.append(
                Artifact(
                    STUDY,
                    "activations",
                    act_id,
                    activations_file(act_id),
                    "netcdf",
                    self.labels(act["run_id"]),
                    act["config"],
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
        out.append(
            Artifact(
                STUDY,
                "table",
                "grid",
                GRID_TABLE,
                "csv",
                {"table": "grid"},
                {"nets": list(self.nets)},
            )
        )
        return out


def build_plan(config):
    s = config[STUDY]
    plan = SamplesetsPlan(config)
    plan.set_data()
    plan.nets = planned_nets(config)
    for net in plan.nets.values():
        for seed in s["seeds"]:
            plan.add_run(net, seed)
    for entry in s["activations"]:
        if (entry["net"], int(entry["seed"])) in plan.run_of:  # else: config_problems says so
            plan.add_activations(entry["net"], entry["seed"])
    return plan
