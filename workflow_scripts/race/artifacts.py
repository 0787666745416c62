"""The race plan's artifacts as catalog rows (``store.catalog``): path, labels, parameters."""

from ..specs import params
from ..store.catalog import Artifact

STUDY = "race"


def plan_artifacts(plan):
    out = [
        Artifact(
            STUDY,
            "data",
            d,
            plan.data_file(d),
            "torch",
            {"N": s.n_train, "source": s.source},
            params(s),
        )
        for d, s in plan.datasets.items()
    ]
    for run_id, r in plan.runs.items():
        labels = {k: v for k, v in plan.labels(run_id).items() if k != "run_id"}
        out.append(
            Artifact(
                STUDY,
                "run",
                run_id,
                plan.run_checkpoints(run_id),
                "checkpoint_dir",
                labels,
                r["spec"],
            )
        )
        cube_id = plan.cube_of.get(run_id)
        if cube_id:
            for kind, path in plan.cube_files(cube_id).items():
                kind_ = "cube" if kind == "dynamics" else kind
                config = plan.cubes[cube_id]["config"]
                out.append(Artifact(STUDY, kind_, cube_id, path, "netcdf", labels, config))
    for imp_id, imp in plan.imp.items():
        labels = {
            **{k: v for k, v in plan.labels(imp["run_id"]).items() if k != "run_id"},
            "sparsity": imp["spec"].sparsity,
        }
        for r in range(1, plan.rounds + 1):
            for kind, what in (("imp", "round"), ("imp_masks", "masks")):
                out.append(
                    Artifact(
                        STUDY,
                        kind,
                        f"{imp_id}/{r}",
                        plan.imp_file(imp_id, r, what),
                        "torch",
                        {**labels, "round": r},
                        imp["config"],
                    )
                )
    for stable_id, st in plan.stable_cells.items():
        path = plan.stable_cells_file(stable_id)
        out.append(
            Artifact(STUDY, "stable_cells", stable_id, path, "netcdf", {"N": st["N"]}, st["config"])
        )
    variant = plan.paths.variant
    for fig, options in plan.figures.items():
        labels = {"figure": fig, "variant": variant}
        out.append(
            Artifact(STUDY, "figure", fig, plan.paths.figure(fig), "pdf", labels, params(options))
        )
    for name, options in plan.tables.items():
        labels = {"table": name, "variant": variant}
        path = plan.paths.table(name, "csv")
        out.append(Artifact(STUDY, "table", name, path, "csv", labels, params(options)))
    # the task table comes from the same rule and records as Table 1 (race.task)
    labels = {"table": "task", "variant": variant}
    path = plan.paths.table("task", "csv")
    out.append(Artifact(STUDY, "table", "task", path, "csv", labels, params(plan.tables["table1"])))
    return out
