"""The catalog rows of a wtm plan (``store.catalog``): every planned artifact with the
few labels a reader asks by and its resolved parameters."""

from ..specs import identity, params
from ..store.catalog import Artifact

STUDY = "wtm"
SPLITS = ("train", "test")


def artifacts(plan):
    return [*_data(plan), *_runs(plan), *_cubes(plan), *_evals(plan), *_figures(plan)]


def _data(plan):
    for data_id, spec in plan.datasets.items():
        for split in SPLITS:
            yield Artifact(
                STUDY,
                "data",
                f"{data_id}/{split}",
                plan.data_file(data_id, split),
                "npz",
                {"sigma": spec.sigma, "split": split},
                identity(spec),
            )


def _run_labels(plan, run_id):
    run = plan.runs[run_id]
    t = run["train"]
    return {
        "sigma_train": plan.datasets[run["data_id"]].sigma,
        "activation": t.activation,
        "hidden": t.hidden,
        "optimizer": t.optimizer,
        "seed": t.seed,
    }


def _runs(plan):
    names = {run_id: name for name, ids in plan.seed_runs.items() for run_id in ids}
    for run_id, run in plan.runs.items():
        labels = _run_labels(plan, run_id)
        if run_id in names:
            labels["name"] = names[run_id]
        path = plan.paths.checkpoints(run_id)
        yield Artifact(STUDY, "run", run_id, path, "checkpoint_dir", labels, run["spec"])


def _cubes(plan):
    for cube_id, cube in plan.cubes.items():
        labels = _run_labels(plan, cube["run_id"])
        del labels["optimizer"]
        labels["name"] = cube["name"]
        path = plan.cube_file(cube_id)
        yield Artifact(STUDY, "cube", cube_id, path, "netcdf", labels, cube["spec"])


def _evals(plan):
    for eval_id, ev in plan.evals.items():
        labels = {"sigma_train": ev["sigma_train"], "seed": ev["seed"]}
        path = plan.eval_file(eval_id)
        yield Artifact(STUDY, "eval", eval_id, path, "netcdf", labels, ev["spec"])


def _figures(plan):
    for fig, options in plan.figures.items():
        labels = {"figure": fig, "variant": plan.paths.variant}
        yield Artifact(STUDY, "figure", fig, plan.paths.figure(fig), "pdf", labels, params(options))
