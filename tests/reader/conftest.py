"""The one smoke build every reader test reads: every study's targets and claims tables at
smoke size (``configs/smoke.yaml``, variant ``smoke``) on a small learnable fake
Fashion-MNIST, built once per session, plus its Snakemake report. The external study
analyses runs the workflow did not train (the smoke config names none): the build adds one,
a small MLP trained here with a plain PyTorch loop, so its cubes and figures are built too.

``TRAINSCOPE_READER_WORKDIR=<dir>`` keeps the build in ``<dir>`` and reuses it in later
sessions (Snakemake then runs only what changed), for working on these tests.
"""

import os
import shutil
from pathlib import Path

import pytest
import yaml

from ..external.helpers import MLP, MLP_LAYERS, MLP_PROBE, saver, train_plain
from ..fake_data import write_learnable_fashion_mnist
from ..snakemake_runner import SMOKE, run_snakemake


class SmokeBuild:
    """A working directory with every study built at smoke size."""

    def __init__(self, workdir, configfiles):
        self.workdir = Path(workdir)
        self.configfiles = tuple(configfiles)

    def snakemake(self, *args, **kwargs):
        return run_snakemake(self.workdir, *args, configfiles=self.configfiles, **kwargs)

    @property
    def variant(self):
        """The variant the build's configuration names (``variant:``; docs: configuration)."""
        import yaml

        found = "default"
        for path in self.configfiles:
            found = (yaml.safe_load(Path(path).read_text()) or {}).get("variant", found)
        return found

    def artifacts(self, kind=None, study=None):
        """The catalog's rows of this build (``workflow_scripts.store.catalog``), without
        the figures, tables and claims of other variants (a reused working directory
        may hold some): those of variant V live under results/variants/V/, the default
        variant's under results/figs, results/tables, results/claims."""
        from workflow_scripts.store import catalog

        own = "results/variants/" + self.variant + "/"
        return [
            a
            for a in catalog.matching(study, kind, root=self.workdir)
            if a.kind not in ("figure", "table", "claims")
            or (a.path.startswith(own) if self.variant != "default" else "/variants/" not in a.path)
        ]

    def studies(self):
        return sorted({a.study for a in self.artifacts("claims")})


EXTERNAL_RUN = "plain_mlp"
EXTERNAL_STEPS = [0, 10, 40]  # 13 steps per epoch on the 400 train images


def external_run(root, data):
    """The external study's run: checkpoints of a small MLP trained by a plain loop
    (``tests/external/helpers.py``), written once (a kept build reuses them untouched, so
    Snakemake has nothing to redo); its ``external.runs`` entry."""
    checkpoints = root / "external" / EXTERNAL_RUN
    wanted = {f"step_{s}.pt" for s in EXTERNAL_STEPS}
    if {p.name for p in checkpoints.glob("*")} != wanted:  # none yet, or another series
        import torch

        shutil.rmtree(checkpoints, ignore_errors=True)
        torch.set_num_threads(1)
        train_plain(MLP, data, EXTERNAL_STEPS, saver(checkpoints, "bare"))
    return {
        "model": MLP,
        "checkpoints": str(checkpoints / "step_*.pt"),
        "layers": MLP_LAYERS,
        "probe": MLP_PROBE,  # smoke.yaml's 100 test images, 10 per class
        "ablation": {"groups": {"first": MLP_LAYERS[:1], "both": MLP_LAYERS}},
    }


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory):
    kept = os.environ.get("TRAINSCOPE_READER_WORKDIR")
    root = Path(kept) if kept else tmp_path_factory.mktemp("reader_smoke")
    data = root / "data"
    if not (data / "FashionMNIST" / "raw" / "train-images-idx3-ubyte").is_file():
        # 400 train / 250 test images: samplesets holds out 100 of 300 train images,
        # selectivity probes and ablates on 100 test images each
        write_learnable_fashion_mnist(data, per_class_train=40, per_class_test=25)
    runs = {EXTERNAL_RUN: external_run(root, data)}
    overlay = root / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"data_dir": str(data), "external": {"runs": runs}}))
    workdir = root / "work"
    workdir.mkdir(exist_ok=True)
    build = SmokeBuild(workdir, (SMOKE, overlay))
    build.snakemake()  # rule all: every study's targets and claims table
    return build


@pytest.fixture(scope="session")
def smoke_report(smoke_build):
    """report.html of the smoke build (`snakemake --report`)."""
    report = smoke_build.workdir / "report.html"
    smoke_build.snakemake(f"--report={report}")
    return report
