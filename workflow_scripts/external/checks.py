"""Cross-field checks of the external config, before any job runs (``config_check``).

Every run is resolved as the plan resolves it (``runs.resolve``): a checkpoint glob that
matches nothing (with the directory's nearest names), a file whose training step cannot be
told, two checkpoints at one time, a model factory that cannot be imported, a probe split
without labels for a metric that needs them, ablation without selectivity, ... each a
message naming its config key. Problems only a built model can reveal (a layer name it
does not have, a checkpoint that does not fit it) are reported by the job, by name.
"""

from .runs import STUDY, resolve


def config_problems(config):
    problems = []
    for name in config[STUDY]["runs"]:
        problems += resolve(name, config)[1]
    return problems
