"""Where a study's artifacts live in the store: one path helper for every study.

    results/<study>/data/<data_id>.<ext>            data sets
    results/<study>/runs/<run_id>/                   a run: checkpoints/ (store.checkpoints)
    results/<study>/cubes/<cube_id>[.<kind>].nc      cubes
    results/<study>/<kind>/<id>...                   a study's other artifacts
    results/figs/<study>/<fig>.pdf                   figures   } of the default variant;
    results/tables/<study>/<name>.<ext>              tables    } variant V: under
    results/claims/<study>.csv                       claims    } results/variants/V/

Data, runs and cubes are named by ids that hash their resolved parameters, so every
configuration shares them. Figures, tables and claims tables are named by the figure
alone, so two configurations would overwrite each other's: a configuration's ``variant``
(config key, ``default`` unless an overlay names one) gives them their own place, and
one store holds the default build and its overlays side by side.
"""

from dataclasses import dataclass

RESULTS = "results"
DEFAULT_VARIANT = "default"


def variant_root(variant=DEFAULT_VARIANT):
    """Root of the figures, tables and claims tables of a variant."""
    return RESULTS if variant == DEFAULT_VARIANT else f"{RESULTS}/variants/{variant}"


def claims_table(study, variant=DEFAULT_VARIANT):
    return f"{variant_root(variant)}/claims/{study}.csv"


def default_figure(n, variant=DEFAULT_VARIANT):
    """``results/figs/fig<N>.pdf``: figure N of the default study."""
    return f"{variant_root(variant)}/figs/fig{n}.pdf"


@dataclass(frozen=True)
class StudyPaths:
    study: str
    variant: str = DEFAULT_VARIANT

    @classmethod
    def of(cls, study, config):
        return cls(study, config.get("variant", DEFAULT_VARIANT))

    @property
    def root(self):
        return f"{RESULTS}/{self.study}"

    def data(self, data_id, ext, split=None):
        """A data set file; ``split`` for studies that write one file per split."""
        name = f"{data_id}/{split}" if split else data_id
        return f"{self.root}/data/{name}.{ext}"

    def run(self, run_id):
        return f"{self.root}/runs/{run_id}"

    def checkpoints(self, run_id):
        return f"{self.run(run_id)}/checkpoints"

    def cube(self, cube_id, kind=None):
        return f"{self.root}/cubes/{cube_id}{'.' + kind if kind else ''}.nc"

    def artifact(self, kind, name):
        """A study's own kind of artifact (e.g. pruning rounds: ``imp/<id>/round1.pt``)."""
        return f"{self.root}/{kind}/{name}"

    def figure(self, fig):
        return f"{variant_root(self.variant)}/figs/{self.study}/{fig}.pdf"

    def table(self, name, ext="csv"):
        return f"{variant_root(self.variant)}/tables/{self.study}/{name}.{ext}"

    def claims(self):
        return claims_table(self.study, self.variant)

    # logs and timings of a configuration's jobs sit with its variant (two variants may
    # build the same figure name at the same time)
    def log(self, stage, name):
        return f"{variant_root(self.variant)}/logs/{self.study}/{stage}/{name}.log"

    def benchmark(self, stage, name):
        return f"{variant_root(self.variant)}/benchmarks/{self.study}/{stage}/{name}.tsv"
