"""The study contract (README, "Adding a study"): a study plugs in with its own files and
one include line; the shared code names none; parsing the workflow stays light."""

import re
import subprocess
import sys

import pytest

from workflow_scripts import study
from workflow_scripts.study import REPO

from .snakemake_runner import SMOKE, snakemake_env

STUDIES = study.study_names()
SHARED = [
    "rules/common.smk",
    "rules/shared.smk",
    "schemas/config.schema.yaml",
    "schemas/common.schema.yaml",
    "workflow_scripts/__init__.py",
    "workflow_scripts/run.py",
    "workflow_scripts/entry.py",
    "workflow_scripts/study.py",
    "workflow_scripts/config_check.py",
    "workflow_scripts/runtime.py",
    "workflow_scripts/progress.py",
    "workflow_scripts/figures/style.py",
    *[
        str(p.relative_to(REPO))
        for d in ("store", "datasets", "models", "claims")
        for p in sorted((REPO / "workflow_scripts" / d).glob("*.py"))
    ],
]


def test_the_studies_are_found_by_their_schemas():
    assert {"wtm", "race"} <= set(STUDIES)
    for name in STUDIES:
        for part in (
            f"workflow_scripts/{name}/plan.py",
            f"workflow_scripts/{name}/stages.py",
            f"workflow_scripts/{name}/claims.py",
            f"rules/{name}.smk",
            f"schemas/{name}.schema.yaml",
            f"tests/{name}/__init__.py",
        ):
            assert (REPO / part).is_file(), f"study {name} lacks {part}"
        assert list((REPO / "report" / name).glob("*.rst")), f"study {name} has no captions"


@pytest.mark.parametrize("path", SHARED)
def test_shared_files_name_no_study(path):
    text = (REPO / path).read_text()
    named = [s for s in STUDIES if re.search(rf"\b{s}\b", text)]
    assert not named, f"{path} names {named}"


def test_the_snakefile_includes_each_study_once_and_names_none_otherwise():
    text = (REPO / "Snakefile").read_text()
    includes = re.findall(r'^include: "rules/(\w+)\.smk"$', text, re.M)
    assert includes[0] == "common" and includes[-1] == "shared"
    assert sorted(includes[1:-1]) == STUDIES
    body = re.sub(r"^include: .*$", "", text, flags=re.M)
    assert not [s for s in STUDIES if re.search(rf"\b{s}\b", body)]


def test_rule_all_builds_every_registered_target_and_claims_table():
    plans = study.build_plans(study.load_config())
    targets = study.all_targets(plans)
    for name, plan in plans.items():
        assert set(plan.targets()) <= set(targets)
        assert f"results/claims/{name}.csv" in targets


def test_report_mode_asks_only_for_what_exists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plans = study.build_plans(study.load_config())
    assert study.report_mode(["snakemake", "--report=report.html"])
    assert study.report_mode(["snakemake", "--report", "r.zip"])
    assert not study.report_mode(["snakemake", "--reporter"])
    (tmp_path / "results/claims").mkdir(parents=True)
    (tmp_path / "results/claims/wtm.csv").write_text("x")
    assert study.all_targets(plans, ["snakemake", "--report=r.html"]) == ["results/claims/wtm.csv"]


def test_parsing_the_workflow_imports_neither_torch_nor_matplotlib(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "snakemake",
            "-s",
            str(REPO / "Snakefile"),
            "-d",
            str(tmp_path),
            "-n",
            "--configfile",
            str(SMOKE),
        ],
        capture_output=True,
        text=True,
        env=snakemake_env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "workflow_scripts.study" in imported  # the workflow was parsed in this process
    heavy = sorted(m for m in imported if m.split(".")[0] in ("torch", "matplotlib", "seaborn"))
    assert not heavy, heavy[:10]
