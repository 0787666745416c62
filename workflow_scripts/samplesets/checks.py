"""Cross-field checks of the samplesets config: values valid one by one that contradict
each other, named by key, reported before any job runs (``config_check``)."""

from .. import datasets
from .resolve import STUDY, planned_nets


def config_problems(config):
    s = config[STUDY]
    problems = []
    d = s["data"]
    source = datasets.source(d["source"])
    have = sum(source.train_per_class)
    if d["n_train"] + d["n_validation"] > have:
        problems.append(
            f"config keys {STUDY}.data.n_train ({d['n_train']}) and {STUDY}.data.n_validation "
            f"({d['n_validation']}): together more than the {have} train images of {d['source']}"
        )
    if s["train"]["batch_size"] > d["n_train"]:
        problems.append(
            f"config keys {STUDY}.train.batch_size ({s['train']['batch_size']}) and "
            f"{STUDY}.data.n_train ({d['n_train']}): a batch larger than the train set"
        )
    nets = planned_nets(config)
    seeds = [int(x) for x in s["seeds"]]
    known = f"{STUDY}.nets plans: {', '.join(nets)}"
    for fig, opts in s["figures"].items():
        if "net" in opts and opts["net"] not in nets:
            problems.append(
                f"config key {STUDY}.figures.{fig}: net {opts['net']!r} is not planned ({known})"
            )
        if "seed" in opts and int(opts["seed"]) not in seeds:
            problems.append(
                f"config key {STUDY}.figures.{fig}: seed {opts['seed']} is not in "
                f"{STUDY}.seeds {seeds}"
            )
    for i, entry in enumerate(s["activations"]):
        if entry["net"] not in nets or int(entry["seed"]) not in seeds:
            problems.append(
                f"config key {STUDY}.activations[{i}]: run {entry['net']} seed "
                f"{entry['seed']} is not planned ({known}; seeds {seeds})"
            )
    return problems
