"""The selectivity plan: ids from resolved parameters, runs, parts, cross-field checks."""

import subprocess
import sys

import pytest

from workflow_scripts.config_check import ConfigError, validate_config
from workflow_scripts.selectivity import plan as plan_module
from workflow_scripts.selectivity.checks import config_problems
from workflow_scripts.selectivity.plan import build_plan
from workflow_scripts.study import REPO, load_config, merge

PAPER = REPO / "configs" / "paper.yaml"
SMOKE = REPO / "configs" / "smoke.yaml"


def config(**selectivity):
    return merge(load_config(), {"selectivity": selectivity})


class W:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_default_plan_runs_cubes_and_targets():
    p = build_plan(load_config())
    s = load_config()["selectivity"]
    assert len(p.baseline) == len(s["seeds"])
    onsets = {0.0, float(s["regularizer"]["later_onset"]), *map(float, s["regularizer"]["onsets"])}
    assert len(p.regularised) == len(onsets) * len(s["regularizer"]["seeds"])
    assert len(p.cubes) == len(p.runs) and set(p.run_cube) == set(p.runs)
    # only the baseline runs are ablated
    assert {p.cubes[c]["run_id"] for c in p.ablated_cubes} == set(p.baseline)
    assert p.targets() == [f"results/figs/selectivity/fig{n}.pdf" for n in range(2, 11)]
    assert list(p.parts) == ["b0-e12"]  # one extraction job per run at default size


def test_ids_hash_every_resolved_parameter():
    a = build_plan(load_config())
    b = build_plan(config(train={"lr": 0.04}))
    assert not set(a.runs) & set(b.runs)
    c = build_plan(config(extract={"floor_seed": 3}))
    assert set(a.runs) == set(c.runs) and not set(a.cubes) & set(c.cubes)
    # the regulariser setting is part of a run's id, and of its label
    reg = [r for r in a.regularised if "-a-" in r]
    assert reg and all("seed" in r for r in reg)


def test_paper_overlay_extracts_each_checkpoint_in_its_own_job():
    p = build_plan(load_config(PAPER))
    labels = p.runs[p.baseline[0]]["train"].checkpoint_labels()
    assert list(p.parts) == labels and "b1000" in labels and "e90" in labels
    cube = p.run_cube[p.baseline[0]]
    inputs = p.merge_inputs(W(cube_id=cube))
    assert len(inputs["extract"]) == len(labels) == len(inputs["ablate"])
    # regulariser runs stop at epoch 20 and are merged from their own checkpoints only
    reg = p.runs[p.regularised[0]]["train"]
    assert reg.epochs == 20 and max(reg.checkpoint_epochs) == 20
    assert len(p.merge_inputs(W(cube_id=p.run_cube[p.regularised[0]]))["extract"]) < len(labels)


@pytest.mark.parametrize(
    "overlay", ["smoke.yaml", "paper.yaml", "selectivity_cifar10.yaml", "selectivity_alpha20.yaml"]
)
def test_overlays_are_valid(overlay):
    cfg = load_config(REPO / "configs" / overlay)
    validate_config(cfg)
    assert build_plan(cfg).targets()


def test_artifacts_carry_labels():
    p = build_plan(load_config())
    kinds = {a.kind for a in p.artifacts()}
    assert {"data", "run", "cube", "part_extract", "part_ablate", "figure"} <= kinds
    cubes = [a for a in p.artifacts() if a.kind == "cube"]
    assert {a.labels["role"] for a in cubes} == {"baseline", "regularised"}
    assert all({"seed", "alpha", "onset", "onset_unit"} <= set(a.labels) for a in cubes)


@pytest.mark.parametrize(
    "overlay, key",
    [
        (
            {
                "data": {
                    "probe": {"split": "test", "n": 6000},
                    "ablate": {"split": "test", "n": 6000},
                }
            },
            "selectivity.data.probe.n",
        ),
        ({"data": {"n_train": 70000}}, "selectivity.data.n_train"),
        ({"regularizer": {"onsets": [0, 5000]}}, "selectivity.regularizer.onsets"),
        (
            {"regularizer": {"onset_unit": "epochs", "onsets": [0, 1], "later_onset": 12}},
            "selectivity.regularizer.later_onset",
        ),
        ({"regularizer": {"modules": [4, 8]}}, "selectivity.regularizer.modules"),
        ({"ablation": {"modules": [3]}}, "selectivity.ablation.modules"),
        ({"ablation": {"fractions": [0.25, 0.5]}}, "selectivity.ablation.fractions"),
        ({"model": {"name": "mlp"}}, "selectivity.model.name"),
        ({"checkpoints": {"epochs": [1, 13]}}, "selectivity.checkpoints.epochs"),
        ({"checkpoints": {"batches": [0, 5000]}}, "selectivity.checkpoints.batches"),
        ({"data": {"source": "imagefolder", "image_size": 0}}, "selectivity.data.image_size"),
        ({"data": {"n_bn": 30000}}, "selectivity.data.n_bn"),
        ({"regularizer": {"epochs": 20}}, "selectivity.regularizer.epochs"),
    ],
)
def test_contradictions_name_their_keys(overlay, key):
    problems = config_problems(config(**overlay))
    assert problems and any(key in p for p in problems), problems
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config(**overlay))


def test_schema_names_unknown_and_out_of_range_keys():
    with pytest.raises(ConfigError) as err:
        validate_config(config(extract={"batch_size": 3, "colour": "red"}, ablation={"draws": 5}))
    text = str(err.value)
    assert "selectivity.extract.batch_size" in text and "selectivity.ablation.draws" in text
    assert "unknown config key selectivity.extract.colour" in text


def test_plan_imports_neither_torch_nor_matplotlib():
    code = (
        "import sys; from workflow_scripts.study import load_config; "
        "from workflow_scripts.selectivity.plan import build_plan; "
        "build_plan(load_config()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'matplotlib', 'seaborn', 'torchvision')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"
    assert plan_module.STUDY == "selectivity"
