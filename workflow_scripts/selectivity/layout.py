"""The records of the selectivity plan: runs, cubes and the parts a cube is measured in.

A run is trained once and measured in parts: each part an extraction job (and, for the
baseline runs, an ablation job) over a group of the run's checkpoints, named by the
group's first and last checkpoint label (``b0-e12``; labels, not steps, because the plan
cannot know an image folder's batches per epoch). A light job merges a run's parts into
its cube.
"""

from dataclasses import dataclass

from .. import specs
from .specs import TrainSpec

BASELINE, REGULARISED = "baseline", "regularised"


@dataclass(frozen=True)
class Run:
    data_id: str
    train: TrainSpec
    role: str  # baseline (no regulariser, every seed) | regularised (figs 6-7)
    checkpoints_per_job: int  # 0 = every checkpoint in one part

    def spec(self):
        """What the run's id hashes (and its cube's config records)."""
        return {"data": self.data_id, "train": specs.identity(self.train)}

    def labels(self):
        """What a reader asks the catalog for: seed, regulariser, model, role."""
        t, r = self.train, self.train.regularizer
        return {
            "seed": t.seed,
            "alpha": r.alpha,
            "onset": r.onset,
            "onset_unit": r.onset_unit,
            "model": t.model.name,
            "role": self.role,
        }

    def parts(self):
        """{part name: checkpoint labels} in training order."""
        labels = self.train.checkpoint_labels()
        size = int(self.checkpoints_per_job) or len(labels)
        groups = [labels[i : i + size] for i in range(0, len(labels), size)]
        return {part_name(g): g for g in groups}


def part_name(labels):
    """A group of checkpoints is named by its first and last label ('b0-e12', 'b10')."""
    return labels[0] if len(labels) == 1 else f"{labels[0]}-{labels[-1]}"


@dataclass(frozen=True)
class Cube:
    run_id: str
    extract_id: str  # the extraction parts' id: the run and the extraction options
    ablate: bool  # baseline runs only: the ablation curves join the cube
    config: dict  # what the cube id hashes: the run, extraction (and ablation) options
