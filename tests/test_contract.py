"""The study contract (docs: architecture, "Adding a study"): a study plugs in with its own
files and one include line; the shared code names none; every study has the same shape
inside (plan interface, checks, specs with each figure's options, figures, captions);
parsing the workflow stays light."""

import re
import subprocess
import sys
import typing
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
import yaml

from workflow_scripts import study
from workflow_scripts.study import REPO, SHARED_EDITS, STUDY_FILES, Plan, study_module

from .configs import study_config
from .snakemake_runner import SMOKE, snakemake_env

STUDIES = study.study_names()
EXPECTED_STUDIES = ["external", "race", "samplesets", "selectivity", "wtm"]
PACKAGE = REPO / "workflow_scripts"
STUDY_DIRS = {PACKAGE / s for s in STUDIES}
SHARED = sorted(
    [
        "Snakefile",
        "rules/common.smk",
        "rules/shared.smk",
        "schemas/config.schema.yaml",
        "schemas/common.schema.yaml",
        "report/claims.rst",
        *[
            str(p.relative_to(REPO))
            for p in PACKAGE.rglob("*.py")
            if not any(d in p.parents for d in STUDY_DIRS)
        ],
    ]
)
MAX_LINES = 300
# modules allowed over MAX_LINES, each with the reason
LONG_MODULES = {}


def test_the_studies_are_exactly_these_and_each_has_its_files():
    assert STUDIES == EXPECTED_STUDIES
    for name in STUDIES:
        for pattern in STUDY_FILES:
            part = pattern.format(s=name)
            if part.endswith("figures.py") and (REPO / part).with_suffix("").is_dir():
                continue  # a figures package instead of one module
            assert (REPO / part).is_file(), f"study {name} lacks {part}"


def test_adding_a_study_lists_exactly_the_files_a_study_touches():
    page = (REPO / "docs" / "architecture.md").read_text()
    section = page[page.index("## Adding a study") :]
    section = section[: section.find("\n## ", 3)] if "\n## " in section[3:] else section
    listed = set(re.findall(r"`([\w./{}<>-]+)`", section))
    for pattern in STUDY_FILES:
        assert pattern.replace("{s}", "<study>") in listed, pattern
    for shared in SHARED_EDITS:
        assert shared in listed, shared


def study_references(text, s):
    """Code that reaches a study: its package, its rules file, its results, its config block
    (prose may name a paper's measure, e.g. class selectivity, which is not a reference)."""
    patterns = [
        rf"workflow_scripts\.{s}\b",
        rf"^\s*from \.+{s}\b",
        rf"^\s*import {s}\b",
        rf"\b{s}\.smk\b",
        rf"results/{s}\b",
        rf"config\[[\"']{s}[\"']\]",
        rf"^{s}:",
    ]
    return [p for p in patterns if re.search(p, text, re.M)]


@pytest.mark.parametrize("path", SHARED)
def test_shared_files_name_no_study(path):
    text = (REPO / path).read_text()
    text = re.sub(r'^include: "rules/\w+\.smk"$', "", text, flags=re.M)  # the one line a study adds
    named = {s: refs for s in STUDIES if (refs := study_references(text, s))}
    assert not named, f"{path} reaches {named}"


def test_the_snakefile_includes_each_study_once():
    text = (REPO / "Snakefile").read_text()
    includes = re.findall(r'^include: "rules/(\w+)\.smk"$', text, re.M)
    assert includes[0] == "common" and includes[-1] == "shared"
    assert sorted(includes[1:-1]) == STUDIES


@pytest.fixture(scope="module")
def plans():
    return study.build_plans(study_config())


@pytest.mark.parametrize("name", STUDIES)
def test_every_plan_has_the_one_interface(plans, name):
    plan = plans[name]
    members = [m for m in dir(Plan) if not m.startswith("_")]
    members += list(typing.get_type_hints(Plan))
    missing = [m for m in dict.fromkeys(members) if not hasattr(plan, m)]
    assert not missing, f"{name} plan lacks {missing}"
    assert plan.device in ("cpu", "cuda")
    assert set(plan.cube_of.values()) <= set(plan.cubes)
    assert set(plan.cube_of) <= set(plan.runs)
    assert callable(study_module(name, "checks").config_problems)


@pytest.mark.parametrize("name", STUDIES)
def test_priorities_come_from_the_plan_on_one_scale(plans, name):
    """Every ``priority:`` of a study's rules is a plan method giving the job's estimated
    seconds (``workflow_scripts.scheduling``), never a number typed in the rules file, so
    the longest jobs of the whole build start first whichever study they belong to."""
    from workflow_scripts.scheduling import priority

    text = (REPO / "rules" / f"{name}.smk").read_text()
    for value in re.findall(r"^\s*priority:\s*(\S+)", text, re.M):
        method = value.split(".")[-1]
        assert method.endswith("_priority") and callable(getattr(plans[name], method)), value
    assert (priority(12.6), priority(-3)) == (13, 0)


@pytest.mark.parametrize("name", STUDIES)
def test_every_figure_has_options_a_schema_entry_a_caption_and_a_function(plans, name):
    specs = study_module(name, "figure_specs")
    figures = study_module(name, "figures")
    schema = yaml.safe_load((REPO / "schemas" / f"{name}.schema.yaml").read_text())
    in_schema = set(schema["properties"]["figures"]["properties"])
    caption = jinja2.Template((REPO / "report" / name / "figure.rst").read_text())
    plan = plans[name]
    if not plan.targets():
        pytest.skip(f"the default config plans no {name} figure (tests/{name}/ checks them)")
    assert set(specs.FIGURES) == in_schema
    for fig, options_class in specs.FIGURES.items():
        assert callable(getattr(figures, fig, None)), f"{name}.figures has no function {fig}"
        options = plan.figure_options(SimpleNamespace(fig=fig))
        assert set(options) == {f.name for f in options_class.__dataclass_fields__.values()}
        # a caption reads the resolved options only (never the config): rendered without one
        smk = SimpleNamespace(
            wildcards=SimpleNamespace(fig=fig), params=SimpleNamespace(options=options), config={}
        )
        text = caption.render(snakemake=smk).strip()
        assert len(text) > 80 and "None" not in text, f"{name} {fig}: caption {text!r}"
        assert plan.paths.figure(fig) in plan.targets()


def test_rule_all_builds_every_registered_target_and_claims_table(plans):
    targets = study.all_targets(plans)
    for plan in plans.values():
        assert set(plan.targets()) <= set(targets)
        assert plan.paths.claims() in targets


def test_a_variant_puts_figures_tables_and_claims_under_its_own_path(plans):
    other = study.build_plans(study_config({"variant": "trial"}))
    for name, plan in plans.items():
        mine = set(plan.targets()) | {plan.paths.claims()}
        theirs = set(other[name].targets()) | {other[name].paths.claims()}
        named = {
            t
            for t in theirs
            if t.startswith(
                ("results/figs/", "results/tables/", "results/claims/", "results/variants/")
            )
        }
        assert named and not mine & named, name
        assert all(t.startswith("results/variants/trial/") for t in named), name
        assert set(plan.runs) == set(other[name].runs)  # data, runs and cubes are shared
        shown = [a for a in other[name].artifacts() if a.kind in ("figure", "table")]
        assert shown or not plan.targets(), name
        assert all(a.labels.get("variant") == "trial" for a in shown), name
        assert {a.path for a in shown} <= theirs, name


def test_report_mode_asks_only_for_what_exists(tmp_path, monkeypatch, plans):
    monkeypatch.chdir(tmp_path)
    assert study.report_mode(["snakemake", "--report=report.html"])
    assert study.report_mode(["snakemake", "--report", "r.zip"])
    assert not study.report_mode(["snakemake", "--reporter"])
    (tmp_path / "results/claims").mkdir(parents=True)
    (tmp_path / "results/claims/wtm.csv").write_text("x")
    assert study.all_targets(plans, ["snakemake", "--report=r.html"]) == ["results/claims/wtm.csv"]


@pytest.mark.parametrize(
    "path", sorted(str(p.relative_to(REPO)) for p in PACKAGE.rglob("*.py")), ids=str
)
def test_modules_are_small(path):
    lines = len((REPO / path).read_text().splitlines())
    assert lines <= LONG_MODULES.get(path, MAX_LINES), f"{path}: {lines} lines"


def test_parsing_the_workflow_imports_neither_torch_nor_matplotlib(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "snakemake", "-s", str(REPO / "Snakefile"),
         "-d", str(tmp_path), "-n", "--configfile", str(SMOKE)],
        capture_output=True, text=True, env=snakemake_env(), timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "workflow_scripts.study" in imported  # the workflow was parsed in this process
    heavy = sorted(m for m in imported if m.split(".")[0] in ("torch", "matplotlib", "seaborn"))
    assert not heavy, heavy[:10]


def test_no_shared_module_is_a_copy_of_a_study_helper():
    """One from_params, one identity, one path helper, one checkpoint naming."""
    defs = {}
    for p in PACKAGE.rglob("*.py"):
        for name in re.findall(
            r"^\s*def (from_params|identity|checkpoint_name|list_checkpoints)\b",
            p.read_text(),
            re.M,
        ):
            defs.setdefault(name, []).append(str(Path(p).relative_to(REPO)))
    assert {k: v for k, v in defs.items() if len(v) > 1} == {}
