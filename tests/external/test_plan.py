"""The external plan: ids change exactly where a result can, params carry what the jobs
need, run settings change nothing, targets follow the metrics, and the study has the shape
every study has (the contract's checks, on a config with a run)."""

import typing
from types import SimpleNamespace

import jinja2
import pytest
import torch
import yaml

from workflow_scripts import specs
from workflow_scripts.external import figures
from workflow_scripts.external import plan as plan_module
from workflow_scripts.external.figure_specs import FIGURES
from workflow_scripts.external.plan import build_plan
from workflow_scripts.models import build
from workflow_scripts.study import REPO, Plan

from ..configs import study_config
from .helpers import MLP, MLP_LAYERS, MLP_PROBE


@pytest.fixture
def ckpts(tmp_path):
    (tmp_path / "ckpt").mkdir()
    for step in (0, 5, 20):
        torch.save(
            build(MLP["name"], **MLP["args"]).state_dict(), tmp_path / "ckpt" / f"step_{step}.pt"
        )
    return tmp_path / "ckpt"


def config(tmp_path, *extra, **run):
    base = {"model": MLP, "checkpoints": str(tmp_path / "ckpt" / "*.pt"), "layers": MLP_LAYERS,
            "probe": MLP_PROBE}  # fmt: skip
    overlay = {"data_dir": str(tmp_path / "data"), "external": {"runs": {"r": {**base, **run}}}}
    return study_config("configs/smoke.yaml", overlay, *extra)


def ids(c):
    plan = build_plan(c)
    return plan.ids["r"], plan


def test_ids_change_exactly_where_a_result_can(tmp_path, ckpts):
    base, plan = ids(config(tmp_path))
    assert set(plan.datasets) == {base["data"]} and plan.measures == {base["measure"]: "r"}
    ablation, _ = ids(config(tmp_path, ablation={"draws": 3}))
    assert ablation["measure"] == base["measure"] and ablation["ablate"] != base["ablate"]
    assert ablation["cube"] != base["cube"]
    floor, _ = ids(config(tmp_path, extract={"floor_seed": 4}))
    assert floor["measure"] != base["measure"] and floor["data"] == base["data"]
    probe, _ = ids(config(tmp_path, probe={**MLP_PROBE, "n": 200}))
    assert probe["data"] != base["data"] and probe["measure"] != base["measure"]
    figure, _ = ids(config(tmp_path, {"external": {"figures": {"cka": {"panels": 2}}}}))
    assert figure == base
    # a checkpoint added to the run changes no id: its jobs are added, the merges rerun
    torch.save(build(MLP["name"], **MLP["args"]).state_dict(), ckpts / "step_40.pt")
    more, plan = ids(config(tmp_path))
    assert more == base and len(plan.runs["r"].checkpoints) == 4


def test_cpu_and_cuda_plans_share_ids_and_differ_in_the_device_only(tmp_path, ckpts):
    cpu, cpu_plan = ids(config(tmp_path, {"device": "cpu"}))
    cuda, cuda_plan = ids(config(tmp_path, {"device": "cuda"}))
    assert cpu == cuda  # no setting takes effect on one device only: same computation
    assert (cpu_plan.device, cuda_plan.device) == ("cpu", "cuda")
    w = SimpleNamespace(measure_id=cpu["measure"], ckpt=cpu_plan.labels[0])
    assert cpu_plan.measure_params(w) == cuda_plan.measure_params(w)


def test_run_settings_change_no_id_and_no_params(tmp_path, ckpts):
    base, plan = ids(config(tmp_path))
    moved = config(tmp_path, {"data_dir": "/elsewhere"}, ablation={"masks_per_pass": 3})
    moved["external"]["runs"]["r"]["probe"]["download"] = True
    other, other_plan = ids(moved)
    assert other == base
    w = SimpleNamespace(ablate_id=base["ablate"], ckpt=plan.labels[1])
    params = plan.ablate_params(w)
    assert params == other_plan.ablate_params(w)
    assert "data_dir" not in params["data"] and "masks_per_pass" not in params["ablation"]
    assert (
        specs.from_params(type(plan.runs["r"].data), params["data"], data_dir="x").data_dir == "x"
    )


def test_rule_inputs_and_params(tmp_path, ckpts):
    base, plan = ids(config(tmp_path))
    run = plan.runs["r"]
    assert [c.step for c in run.checkpoints] == [0, 5, 20]
    label = run.checkpoints[1].label
    w = SimpleNamespace(measure_id=base["measure"], ablate_id=base["ablate"], ckpt=label)
    assert plan.measure_inputs(w) == {"checkpoint": str(ckpts / "step_5.pt")}
    assert plan.ablate_inputs(w)["measure"] == plan.part(base["measure"], label, "measure")
    p = plan.measure_params(w)
    assert p["checkpoint"]["step"] == 5 and p["extract"]["layers"] == MLP_LAYERS
    assert p["model"] == {"name": "mlp", "args": MLP["args"]}
    merge = plan.merge_inputs(SimpleNamespace(cube_id=base["cube"], metric="ablation"))
    assert len(merge["parts"]) == 3 and all(p.endswith(".ablation.nc") for p in merge["parts"])


def test_targets_follow_the_metrics_and_the_catalog_labels_run_and_metric(tmp_path, ckpts):
    _, plan = ids(config(tmp_path, metrics=["selectivity", "cka"]))
    assert plan.targets() == [plan.figure("r", "selectivity"), plan.figure("r", "cka")]
    assert plan.targets()[0] == "results/variants/smoke/figs/external/r/selectivity.pdf"
    cubes = [a for a in plan.artifacts() if a.kind == "cube"]
    assert {(a.labels["run"], a.labels["metric"]) for a in cubes} == {
        ("r", "selectivity"),
        ("r", "cka"),
    }
    assert set(plan.cube_of) == {"r"} and plan.cube_of["r"] in plan.cubes
    parts = [a for a in plan.artifacts() if a.kind.startswith("part_")]
    assert len(parts) == 3  # measure parts only: no ablation asked for
    assert study_config()["external"]["runs"] == {}  # the default builds nothing


def test_the_study_has_the_shape_of_every_study(tmp_path, ckpts):
    _, plan = ids(config(tmp_path))
    members = [m for m in dir(Plan) if not m.startswith("_")] + list(typing.get_type_hints(Plan))
    assert not [m for m in members if not hasattr(plan, m)]
    schema = yaml.safe_load((REPO / "schemas" / "external.schema.yaml").read_text())
    assert set(FIGURES) == set(schema["properties"]["figures"]["properties"])
    caption = jinja2.Template((REPO / "report" / "external" / "figure.rst").read_text())
    for fig, options_class in FIGURES.items():
        assert callable(getattr(figures, fig))
        options = plan.figure_options(SimpleNamespace(run="r", fig=fig))
        assert set(options) == set(options_class.__dataclass_fields__)
        smk = SimpleNamespace(
            wildcards=SimpleNamespace(run="r", fig=fig),
            params=SimpleNamespace(options=options),
            config={},
        )
        text = caption.render(snakemake=smk).strip()
        assert len(text) > 300 and "None" not in text and "Run **r** (mlp)" in text
        assert plan.figure("r", fig) in plan.targets()
    assert "torch" not in plan_module.__dict__
