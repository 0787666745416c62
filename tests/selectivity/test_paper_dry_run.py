"""The worked example of docs/cluster.md (the selectivity study at paper size through SLURM),
run as written: its site overlay, its profile settings and its commands, dry-run (`-n`, no
SLURM needed) on a fake ImageNet tree of PNG files. Every training job must ask for a
GPU and the configured resources; the extraction runs one job per checkpoint."""

import re
import shutil
import subprocess
from collections import Counter

import pytest
import yaml
from snakemake.utils import update_config

from workflow_scripts.study import REPO

from ..configs import PAPER, study_config
from ..fake_data import write_image_folder
from ..snakemake_runner import snakemake_env

pytestmark = pytest.mark.workflow


def worked_example():
    """(site overlay, profile settings, snakemake commands) of the docs' section."""
    text = (REPO / "docs" / "cluster.md").read_text()
    section = text.split("## Worked example: the selectivity study at paper size")[1]
    section = section.split("\n## ")[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, re.S)
    yamls = [yaml.safe_load(_dedent(b)) for lang, b in blocks if lang == "yaml"]
    bash = next(_dedent(b) for lang, b in blocks if lang == "bash")
    commands = [
        c for c in bash.replace("\\\n", " ").splitlines() if c.strip().startswith("snakemake")
    ]
    return yamls[0], yamls[1], commands


def _dedent(block):
    lines = block.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines) + "\n"


def jobs(output):
    """{rule: [job text]} of a dry run's job listing."""
    found = {}
    for m in re.finditer(r"^(?:local)?rule (\w+):\n((?:    .*\n)*)", output, re.M):
        found.setdefault(m.group(1), []).append(m.group(2))
    return found


def resources(job):
    line = re.search(r"^    resources: (.*)$", job, re.M).group(1)
    return dict(kv.split("=", 1) for kv in line.split(", "))


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory):
    site, profile_settings, commands = worked_example()
    root = tmp_path_factory.mktemp("paper_dry_run")
    data = root / "datasets"
    write_image_folder(data / "imagenet", classes=("n01", "n02"), per_class=(3, 2), size=(8, 8))
    site["data_dir"] = str(data)
    (root / "my_site.yaml").write_text(yaml.safe_dump(site))
    (root / "configs").mkdir()
    shutil.copy(REPO / "configs" / "paper.yaml", root / "configs" / "paper.yaml")
    profile = yaml.safe_load((REPO / "profiles/slurm/config.v8+.yaml").read_text())
    update_config(profile, profile_settings)
    (root / "profiles/mysite").mkdir(parents=True)
    (root / "profiles/mysite/config.v8+.yaml").write_text(yaml.safe_dump(profile))
    outputs = []
    for command in commands:
        if " -n " not in f" {command} ":
            command = command.replace("snakemake ", "snakemake -n ", 1)
        command = command.replace("snakemake ", f"snakemake -s {REPO / 'Snakefile'} --verbose ", 1)
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=root,
            env=snakemake_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        outputs.append(proc.stdout + proc.stderr)
    # SLURM's dry run does not print threads (--cpus-per-task): the same jobs, planned for
    # a local 64-core machine, show the threads each rule asks for
    local = commands[0].replace("--workflow-profile profiles/mysite", "--cores 64")
    local = local.replace("snakemake ", f"snakemake -s {REPO / 'Snakefile'} ", 1)
    proc = subprocess.run(
        ["bash", "-c", local],
        cwd=root,
        env=snakemake_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    outputs.append(proc.stdout + proc.stderr)
    config = study_config(PAPER, site)
    return outputs, config["selectivity"], profile_settings


def test_readme_commands_are_a_dry_run_then_the_full_build():
    _, _, commands = worked_example()
    assert len(commands) == 2 and " -n " in commands[0] and " -n " not in commands[1]
    assert all("--configfile configs/paper.yaml my_site.yaml" in c for c in commands)


def test_every_training_job_asks_for_a_gpu_and_the_configured_resources(dry_runs):
    outputs, cfg, profile = dry_runs
    want = cfg["resources"]["train"]
    site = profile["set-resources"]["selectivity_train"]
    for output in outputs[:2]:
        train = jobs(output)["selectivity_train"]
        assert train
        for job in train:
            res = resources(job)
            assert res["gpu"] == str(want["gpu"]) == "1"
            assert res["mem_mb"] == str(want["mem_mb"]) and res["runtime"] == str(want["runtime"])
            assert res["slurm_partition"] == site["slurm_partition"]
            assert res["gpu_model"] == site["gpu_model"]
    local = jobs(outputs[2])["selectivity_train"]
    assert len(local) == 10
    assert all(re.search(rf"^    threads: {want['threads']}$", job, re.M) for job in local)


def test_job_counts_of_the_paper_size(dry_runs):
    outputs, cfg, _ = dry_runs
    seeds = len(cfg["seeds"])
    checkpoints = len(cfg["checkpoints"]["batches"]) + len(cfg["checkpoints"]["epochs"])
    fig2 = Counter({rule: len(j) for rule, j in jobs(outputs[0]).items()})
    assert fig2["selectivity_train"] == seeds == 10
    assert fig2["selectivity_extract"] == seeds * checkpoints == 220
    assert fig2["selectivity_ablate"] == seeds * checkpoints
    assert fig2["selectivity_merge"] == seeds
    full = Counter({rule: len(j) for rule, j in jobs(outputs[1]).items()})
    reg = cfg["regularizer"]
    onsets = {0, reg["later_onset"], *reg["onsets"]}
    assert full["selectivity_train"] == seeds + len(onsets) * len(reg["seeds"]) == 40  # 5 seeds
    assert full["selectivity_figure"] == 9 and full["claims_table"] == 1


def test_gpu_stages_and_light_stages(dry_runs):
    outputs, cfg, _ = dry_runs
    found = jobs(outputs[1])
    for rule in ("selectivity_extract", "selectivity_ablate"):
        for job in found[rule]:
            res = resources(job)
            assert res["gpu"] == "1" and res["slurm_partition"] == "gpu"
            assert res["runtime"] == str(cfg["resources"][rule.split("_")[1]]["runtime"])
    for job in found["selectivity_merge"]:
        assert resources(job)["gpu"] == "0"
    # the figures and the data split run on the submit host (a dry run does not say which
    # rules are local: the rules file does)
    rules = (REPO / "rules/selectivity.smk").read_text()
    blocks = dict(re.findall(r"^rule (\w+):\n((?:    .*\n|\n)*)", rules, re.M))
    local = {name for name, body in blocks.items() if "localrule: True" in body}
    assert local == {"selectivity_data", "selectivity_figure"}
