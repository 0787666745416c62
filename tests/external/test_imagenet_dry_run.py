"""A ResNet-50 series on the ImageNet validation images is a config change: the shipped
config (configs/external_resnet50_imagenet.yaml) planned through the SLURM profile, dry-run
(`-n`, no SLURM needed) on a fake ImageFolder tree and placeholder checkpoint files. Every
measure and ablate job asks for a GPU and the configured resources; the merges do not."""

import re
import subprocess

import pytest
import yaml

from workflow_scripts.study import REPO

from ..fake_data import write_image_folder
from ..snakemake_runner import snakemake_env

pytestmark = pytest.mark.workflow
CONFIG = REPO / "configs" / "external_resnet50_imagenet.yaml"
EPOCHS = (0, 1, 2, 5, 10, 30)


def jobs(output):
    """{rule: [job text]} of a verbose dry run's job listing."""
    found = {}
    for m in re.finditer(r"^(?:local)?rule (\w+):\n((?:    .*\n)*)", output, re.M):
        found.setdefault(m.group(1), []).append(m.group(2))
    return found


def resources(job):
    line = re.search(r"^    resources: (.*)$", job, re.M).group(1)
    return dict(kv.split("=", 1) for kv in line.split(", "))


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("imagenet_dry_run")
    write_image_folder(
        root / "datasets" / "imagenet", classes=("n01", "n02"), per_class=(2, 3), size=(8, 8)
    )
    (root / "runs" / "resnet50").mkdir(parents=True)
    for epoch in EPOCHS:  # torchvision's reference script: model_<epoch>.pth
        (root / "runs" / "resnet50" / f"model_{epoch}.pth").write_bytes(b"")
    (root / "my_site.yaml").write_text(yaml.safe_dump({"data_dir": str(root / "datasets")}))
    cmd = (
        f"snakemake -s {REPO / 'Snakefile'} -n --verbose --workflow-profile {REPO / 'profiles/slurm'} "
        f"external_all --configfile {CONFIG} my_site.yaml"
    )
    proc = subprocess.run(["bash", "-c", cmd], cwd=root, env=snakemake_env(), capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    return jobs(proc.stdout + proc.stderr), yaml.safe_load(CONFIG.read_text())["external"]


def test_one_gpu_job_per_checkpoint_and_stage(dry_run):
    found, cfg = dry_run
    assert len(found["external_measure"]) == len(found["external_ablate"]) == len(EPOCHS)
    for stage in ("measure", "ablate"):
        want = cfg["resources"][stage]
        for job in found[f"external_{stage}"]:
            res = resources(job)
            assert res["gpu"] == "1" and res["mem_mb"] == str(want["mem_mb"])
            assert res["runtime"] == str(want["runtime"])
    for job in found["external_merge"]:
        assert resources(job)["gpu"] == "0"
    assert len(found["external_merge"]) == len(found["external_figure"]) == 4


def test_the_jobs_read_the_imagenet_validation_folder_and_the_checkpoints(dry_run):
    found, _ = dry_run
    inputs = sorted(
        re.search(r"^    input: (.*)$", j, re.M).group(1) for j in found["external_measure"]
    )
    assert [i.rsplit("/", 1)[1] for i in inputs] == sorted(f"model_{e}.pth" for e in EPOCHS)
    outputs = [
        re.search(r"^    output: (.*)$", j, re.M).group(1) for j in found["external_measure"]
    ]
    assert all(re.search(r"resnet50_imagenet-\w+/epoch\d+-\w+\.measure\.nc$", o) for o in outputs)
    figures = [re.search(r"^    output: (.*)$", j, re.M).group(1) for j in found["external_figure"]]
    assert all(f.startswith("results/variants/external_resnet50/figs/external/resnet50_imagenet/")
               for f in figures)  # fmt: skip
