"""Cross-field checks of the wtm config: values valid one by one that contradict each
other, named by key, reported before any job runs (``config_check``)."""

from .resolve import given

STUDY = "wtm"


def config_problems(config):
    """Values valid one by one that contradict each other (named by key)."""
    wtm = config[STUDY]
    problems = []
    runs = set(wtm["runs"])
    for fig, options in given(wtm).items():
        named = [*getattr(options, "runs", ())]
        named += [getattr(options, k) for k in ("run", "reference") if hasattr(options, k)]
        for name in dict.fromkeys(named):
            if name not in runs:
                problems.append(
                    f"config key wtm.figures.{fig}: run {name!r} is not defined in "
                    f"wtm.runs (defined: {', '.join(sorted(runs))})"
                )
    if "seed" in wtm["train"]:
        problems.append(
            "config key wtm.train.seed: every named run is trained once per seed of "
            "wtm.seeds, so a base seed would be ignored; set wtm.seeds, or a run's own seed"
        )
    d = wtm["data"]
    if d["active_per_pattern"] > d["n_features"]:
        problems.append(
            f"config keys wtm.data.active_per_pattern ({d['active_per_pattern']}) and "
            f"wtm.data.n_features ({d['n_features']}): more active entries than features"
        )
    elif not d["overlapping_masks"] and d["n_patterns"] * d["active_per_pattern"] > d["n_features"]:
        problems.append(
            f"config keys wtm.data.n_patterns x active_per_pattern ({d['n_patterns']} x "
            f"{d['active_per_pattern']}) exceed wtm.data.n_features ({d['n_features']}) with "
            "overlapping_masks: false (non-overlapping masks need that many features)"
        )
    if wtm["extract"]["train_per_pattern"] > d["train_per_pattern"]:
        problems.append(
            f"config keys wtm.extract.train_per_pattern ({wtm['extract']['train_per_pattern']}) and "
            f"wtm.data.train_per_pattern ({d['train_per_pattern']}): the cube cannot record more "
            "train samples per pattern than the data set has"
        )
    return problems
