"""From the validated config to the artifacts of the selectivity study, ids and paths.

Artifacts (ids = readable label + hash of the fully resolved parameters, ``spec_id``):
- the data file: which images train, which are held out for SI/CKA (probe) and for
  ablation accuracy, and the normalisation (one per data spec);
- runs: one per (seed, regulariser setting); the baseline runs (no regulariser, every
  seed) and the regularised runs (one per onset and regulariser seed). A run's output
  is its directory of checkpoints (``b<n>`` after n batches, ``e<n>`` after n epochs);
- parts: the extraction of a group of a run's checkpoints (``<extract_id>/<part>.extract.nc``:
  class means, SI and its noise floor, accuracy, CKA; the id hashes the run and the
  extraction settings) and, for baseline runs, their ablation curves
  (``<cube_id>/<part>.ablate.nc``; the cube id adds the ablation settings, so changing
  those reruns the ablation, not the extraction). ``extract.checkpoints_per_job`` sets the group size
  (0 = a run's checkpoints in one job; 1 at paper size = one GPU job per checkpoint);
- cubes: one per run, the parts merged along the checkpoint dimension by a light job.
``rules/selectivity.smk`` only calls the methods here; no torch, no matplotlib.
"""

from dataclasses import asdict, dataclass, field

from .. import datasets
from ..store.catalog import Artifact
from ..store.ids import spec_id
from ..store.paths import StudyPaths
from .specs import (
    MODULES,
    NO_REGULARIZER,
    AblationSpec,
    DataSpec,
    ExtractSpec,
    ModelSpec,
    RegularizerSpec,
    TrainSpec,
)

STUDY = "selectivity"
FIGURES = ("fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10")
REGULARISED_FIGURES = ("fig6", "fig7")
SPLITS = ("train", "test")


def data_file(data_id):
    return f"results/selectivity/data/{data_id}.npz"


def checkpoints_dir(run_id):
    return f"results/selectivity/runs/{run_id}/checkpoints"


def part_file(cube_id, part, kind):
    return f"results/selectivity/parts/{cube_id}/{part}.{kind}.nc"


def cube_file(cube_id):
    return f"results/selectivity/cubes/{cube_id}.nc"


def figure_file(fig):
    return f"results/figs/selectivity/{fig}.pdf"


def part_name(labels):
    """A group of checkpoints is named by its first and last label ('b0-e12', 'b10')."""
    return labels[0] if len(labels) == 1 else f"{labels[0]}-{labels[-1]}"


def group(labels, per_job):
    per_job = int(per_job) or len(labels)
    return [labels[i : i + per_job] for i in range(0, len(labels), per_job)]


@dataclass
class SelectivityPlan:
    config: dict
    data: dict = field(default_factory=dict)  # data_id -> DataSpec
    runs: dict = field(
        default_factory=dict
    )  # run_id -> {"data_id", "train": TrainSpec, "spec", "role"}
    extracts: dict = field(default_factory=dict)  # extract_id -> {"run_id", "config"}
    cubes: dict = field(
        default_factory=dict
    )  # cube_id -> {"run_id", "extract_id", "ablate", "config"}
    run_cube: dict = field(default_factory=dict)  # run_id -> cube_id
    baseline: list = field(default_factory=list)  # run ids, by seed
    regularised: list = field(default_factory=list)  # run ids
    parts: dict = field(default_factory=dict)  # part name -> checkpoint labels

    def __post_init__(self):
        self.paths = StudyPaths.of(STUDY, self.config)

    # -- building ------------------------------------------------------------------

    @property
    def study(self):
        return self.config[STUDY]

    @property
    def ablated_cubes(self):
        return [c for c, cube in self.cubes.items() if cube["ablate"]]

    def dataset(self):
        d = self.study["data"]
        spec = DataSpec(
            source=d["source"],
            folder=d["folder"],
            n_train=int(d["n_train"]),
            probe_split=d["probe"]["split"],
            n_probe=int(d["probe"]["n"]),
            ablate_split=d["ablate"]["split"],
            n_ablate=int(d["ablate"]["n"]),
            n_bn=int(d["n_bn"]),
            seed=int(d["seed"]),
            image_size=int(d["image_size"]),
            resize=int(d["resize"]),
            augment=bool(d["augment"]),
            data_dir=str(self.config["data_dir"]),
            download=bool(d["download"]),
        )
        label = spec.folder if spec.source == datasets.IMAGE_FOLDER else spec.source
        data_id = spec_id(f"{label}-n{spec.n_train}", spec.identity())
        self.data[data_id] = spec
        return data_id

    def run(self, seed, regularizer):
        s, m = self.study, self.study["model"]
        t, c = s["train"], s["checkpoints"]
        epochs = int(t["epochs"])
        if regularizer.alpha != 0 and s["regularizer"]["epochs"]:
            epochs = int(s["regularizer"]["epochs"])  # the paper: regulariser runs to epoch 20
        train = TrainSpec(
            model=ModelSpec(name=m["name"], width=int(m["width"]), stem=m["stem"]),
            regularizer=regularizer,
            seed=int(seed),
            epochs=epochs,
            batch_size=int(t["batch_size"]),
            lr=float(t["lr"]),
            momentum=float(t["momentum"]),
            weight_decay=float(t["weight_decay"]),
            lr_milestones=tuple(int(e) for e in t["lr_milestones"]),
            lr_gamma=float(t["lr_gamma"]),
            amp=bool(t["amp"]),
            channels_last=bool(t["channels_last"]),
            checkpoint_batches=tuple(sorted({int(b) for b in c["batches"]})),
            checkpoint_epochs=tuple(sorted({int(e) for e in c["epochs"] if e <= epochs})),
        )
        data_id = self.dataset()
        spec = {"data": data_id, "train": asdict(train)}
        r = regularizer
        reg = "" if r.alpha == 0 else f"-a{r.alpha:g}-on{r.onset:g}{r.onset_unit[0]}"
        run_id = spec_id(f"{m['name']}{reg}-seed{seed}", spec)
        self.runs.setdefault(
            run_id,
            {
                "data_id": data_id,
                "train": train,
                "spec": spec,
                "role": "baseline" if r.alpha == 0 else "regularised",
            },
        )
        return run_id

    def add_cube(self, run_id, ablate):
        s = self.study
        label = run_id.rsplit("-", 1)[0]
        config = {"run": self.runs[run_id]["spec"], "extract": asdict(self.extract_options())}
        extract_id = spec_id(label, config)  # extraction parts: ablation settings not needed
        self.extracts[extract_id] = {"run_id": run_id, "config": dict(config)}
        if ablate:
            config["ablation"] = asdict(self.ablation_options())
        cube_id = spec_id(label, config)  # = extract_id for a cube without ablation
        self.cubes[cube_id] = {
            "run_id": run_id,
            "extract_id": extract_id,
            "ablate": ablate,
            "config": config,
        }
        self.run_cube[run_id] = cube_id
        labels = self.runs[run_id]["train"].checkpoint_labels()
        for g in group(labels, s["extract"]["checkpoints_per_job"]):
            self.parts[part_name(g)] = g
        return cube_id

    def extract_options(self):
        e = self.study["extract"]
        return ExtractSpec(
            batch_size=int(e["batch_size"]), bn=e["bn"], floor_seed=int(e["floor_seed"])
        )

    def ablation_options(self):
        a = self.study["ablation"]
        return AblationSpec(
            modules=tuple(int(m) for m in a["modules"]),
            fractions=tuple(float(f) for f in a["fractions"]),
            draws=int(a["draws"]),
            seed=int(a["seed"]),
        )

    def regularizer(self, onset):
        r = self.study["regularizer"]
        return RegularizerSpec(
            alpha=float(r["alpha"]),
            modules=tuple(int(m) for m in r["modules"]),
            onset=float(onset),
            onset_unit=r["onset_unit"],
        )

    def onsets(self):
        """Regulariser onsets of every run: fig7's, plus 0 and fig6's later onset."""
        r = self.study["regularizer"]
        return sorted({0.0, float(r["later_onset"]), *map(float, r["onsets"])})

    # -- what the rules ask (wildcards -> files / params) ----------------------------

    def data_spec(self, wildcards):
        return datasets.without_location(asdict(self.data[wildcards.data_id]))

    def train_inputs(self, wildcards):
        return {"data": data_file(self.runs[wildcards.run_id]["data_id"])}

    def train_spec(self, wildcards):
        run = self.runs[wildcards.run_id]
        return {
            "run_id": wildcards.run_id,
            "train": asdict(run["train"]),
            "data": datasets.without_location(asdict(self.data[run["data_id"]])),
        }

    def _cube_run(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return cube, self.runs[cube["run_id"]]

    def _inputs(self, run_id):
        run = self.runs[run_id]
        return {"data": data_file(run["data_id"]), "checkpoints": checkpoints_dir(run_id)}

    def _spec(self, run_id, part, config):
        run = self.runs[run_id]
        return {
            "labels": list(self.parts[part]),
            "run_id": run_id,
            "model": asdict(run["train"].model),
            "data": datasets.without_location(asdict(self.data[run["data_id"]])),
            "extract": asdict(self.extract_options()),
            "config": config,
        }

    def extract_inputs(self, wildcards):
        return self._inputs(self.extracts[wildcards.extract_id]["run_id"])

    def extract_spec(self, wildcards):
        ex = self.extracts[wildcards.extract_id]
        return self._spec(ex["run_id"], wildcards.part, ex["config"])

    def ablate_inputs(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            **self._inputs(cube["run_id"]),
            "extract": part_file(cube["extract_id"], wildcards.part, "extract"),
        }

    def ablate_spec(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        return {
            **self._spec(cube["run_id"], wildcards.part, cube["config"]),
            "ablation": asdict(self.ablation_options()),
        }

    def cube_parts(self, cube_id):
        labels = self.runs[self.cubes[cube_id]["run_id"]]["train"].checkpoint_labels()
        return [part_name(g) for g in group(labels, self.study["extract"]["checkpoints_per_job"])]

    def merge_inputs(self, wildcards):
        cube = self.cubes[wildcards.cube_id]
        names = self.cube_parts(wildcards.cube_id)
        inputs = {"extract": [part_file(cube["extract_id"], p, "extract") for p in names]}
        if cube["ablate"]:
            inputs["ablate"] = [part_file(wildcards.cube_id, p, "ablate") for p in names]
        return inputs

    def merge_spec(self, wildcards):
        cube, run = self._cube_run(wildcards)
        r = run["train"].regularizer
        return {
            "cube_id": wildcards.cube_id,
            "run_id": cube["run_id"],
            "config": cube["config"],
            "labels": {
                "seed": run["train"].seed,
                "alpha": r.alpha,
                "onset": r.onset,
                "onset_unit": r.onset_unit,
                "model": run["train"].model.name,
                "role": run["role"],
            },
        }

    def cube_files(self, run_ids):
        return [cube_file(self.run_cube[r]) for r in run_ids]

    def figure_inputs(self, wildcards):
        inputs = {"baseline": self.cube_files(self.baseline)}
        if wildcards.fig in REGULARISED_FIGURES:
            inputs["regularised"] = self.cube_files(self.regularised)
        return inputs

    def figure_options(self, wildcards):
        return self.options_of(wildcards.fig)

    def options_of(self, fig):
        return {**self.figure_context(), "figure": fig}

    def figure_context(self):
        """What figures and claims need to know besides the cubes."""
        s = self.study
        r = s["regularizer"]
        return {
            "modules": list(MODULES),
            "reg_modules": [int(m) for m in r["modules"]],
            "alpha": float(r["alpha"]),
            "onset_unit": r["onset_unit"],
            "onsets": [float(o) for o in r["onsets"]],
            "later_onset": float(r["later_onset"]),
            "reg_seeds": [int(x) for x in r["seeds"]],
            "model": s["model"]["name"],
            "source": s["data"]["source"],
            "epochs": int(s["train"]["epochs"]),
        }

    # -- what the shared layer asks ----------------------------------------------------

    def targets(self):
        return [figure_file(f) for f in FIGURES]

    def claims_inputs(self):
        return {
            "baseline": self.cube_files(self.baseline),
            "regularised": self.cube_files(self.regularised),
        }

    def claims_options(self):
        return self.figure_context()

    def artifacts(self):
        out = [
            Artifact(
                STUDY,
                "data",
                d,
                data_file(d),
                "npz",
                {"source": s.source, "n_train": s.n_train},
                s.identity(),
            )
            for d, s in self.data.items()
        ]
        for run_id, run in self.runs.items():
            t = run["train"]
            labels = {
                "seed": t.seed,
                "alpha": t.regularizer.alpha,
                "onset": t.regularizer.onset,
                "onset_unit": t.regularizer.onset_unit,
                "model": t.model.name,
                "role": run["role"],
            }
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
            cube_id = self.run_cube[run_id]
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
            cube = self.cubes[cube_id]
            for part in self.cube_parts(cube_id):
                owners = [("extract", cube["extract_id"])] + (
                    [("ablate", cube_id)] if cube["ablate"] else []
                )
                for kind, owner in owners:
                    out.append(
                        Artifact(
                            STUDY,
                            f"part_{kind}",
                            f"{owner}/{part}",
                            part_file(owner, part, kind),
                            "netcdf",
                            {**labels, "checkpoints": part},
                            cube["config"],
                        )
                    )
        out += [
            Artifact(STUDY, "figure", f, figure_file(f), "pdf", {"figure": f}, self.options_of(f))
            for f in FIGURES
        ]
        return out


def build_plan(config):
    plan = SelectivityPlan(config)
    s = config[STUDY]
    for seed in s["seeds"]:
        run_id = plan.run(seed, NO_REGULARIZER)
        plan.baseline.append(run_id)
        plan.add_cube(run_id, ablate=True)
    for seed in s["regularizer"]["seeds"]:
        if seed not in s["seeds"]:  # the unregularised reference of fig6
            run_id = plan.run(seed, NO_REGULARIZER)
            plan.add_cube(run_id, ablate=False)
            plan.regularised.append(run_id)
        for onset in plan.onsets():
            run_id = plan.run(seed, plan.regularizer(onset))
            plan.regularised.append(run_id)
            plan.add_cube(run_id, ablate=False)
    return plan
