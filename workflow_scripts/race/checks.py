"""Cross-field checks of the race config: values valid one by one that contradict each
other, named by key, reported before any job runs (``config_check``)."""

from .. import datasets
from .plan import STUDY, build_plan


def config_problems(config):
    race = config[STUDY]
    problems = _data_problems(race) + _imp_problems(race)
    if not problems:  # the plan resolves the figure options (every default filled)
        problems += _figure_reference_problems(build_plan(config), race)
    return problems


def _data_problems(race):
    d, t = race["data"], race["train"]
    problems = []
    source = datasets.source(d["source"])
    groups = [list(g) for g in d["groups"]]
    both = set(groups[0]) & set(groups[1])
    if both:
        problems.append(
            f"config key race.data.groups: source class(es) {sorted(both)} in both binary classes"
        )
    bad = [c for g in groups for c in g if c >= len(source.classes)]
    if bad:
        problems.append(
            f"config key race.data.groups: class(es) {bad} do not exist in "
            f"{d['source']} ({len(source.classes)} classes)"
        )
        return problems
    sizes = [("race.grid.n_train", n, "train") for n in race["grid"]["n_train"]]
    sizes += [("race.d_sweep.n_train", n, "train") for n in race["d_sweep"]["n_train"]]
    sizes += [("race.data.n_test", d["n_test"], "test")]
    for key, n, split in dict.fromkeys(sizes):
        for group in groups:
            # N/2 per binary class, spread evenly over the group's source classes
            need = -(-(n // 2) // len(group))
            have = min(source.per_class(split)[c] for c in group)
            if need > have:
                problems.append(
                    f"config keys {key} ({n}) and race.data.groups ({group}): {need} {split} "
                    f"images per source class needed, {d['source']} has {have}"
                )
        if split == "train" and n % t["batch_size"]:
            problems.append(
                f"config keys {key} ({n}) and race.train.batch_size "
                f"({t['batch_size']}): N must be a multiple of the batch size"
            )
    return problems


def _imp_problems(race):
    missing = sorted(set(race["imp"]["seeds"]) - set(race["grid"]["seeds"]))
    if missing:
        return [
            f"config keys race.imp.seeds and race.grid.seeds: IMP seed(s) {missing} are not "
            f"grid seeds (grid: {race['grid']['seeds']}), so they would get no IMP runs"
        ]
    return []


def _matches(run, labels):
    for key, want in labels.items():
        got = run[key]
        if isinstance(want, float) or isinstance(got, float):
            if abs(float(got) - float(want)) > 1e-6 * max(abs(float(want)), 1e-300):
                return False
        elif got != want:
            return False
    return True


def _figure_reference_problems(plan, race):
    """Figure options (resolved: ``plan.figures``) that name no planned run / IMP sparsity:
    a label outside the grid would only fail in the figure job after every run was trained."""
    grid, imp = race["grid"], race["imp"]
    problems = []

    def need(fig, run_ids, what, **labels):
        if not any(_matches(plan.runs[r], labels) for r in run_ids):
            shown = ", ".join(
                f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in labels.items()
            )
            problems.append(
                f"config key race.figures.{fig}: no {what} run with {shown} "
                f"(race.grid: sigma0 {grid['sigma0']}, n_train {grid['n_train']}, "
                f"seeds {grid['seeds']}; race.train.hidden {race['train']['hidden']}; "
                f"race.d_sweep: hidden {race['d_sweep']['hidden']})"
            )

    def need_imp(fig, sparsities, seed):
        known = [float(x) for x in imp["sparsities"]]
        for sp in sparsities:
            if not any(abs(float(sp) - k) < 1e-9 for k in known):
                problems.append(
                    f"config key race.figures.{fig}: sparsity {sp:g} is not in "
                    f"race.imp.sparsities {imp['sparsities']}"
                )
        if sparsities and seed not in imp["seeds"]:
            problems.append(
                f"config key race.figures.{fig}: seed {seed} has no IMP runs "
                f"(race.imp.seeds {imp['seeds']})"
            )

    o = plan.figures["fig1"]
    need("fig1", plan.grid_runs, "grid", sigma0=o.sigma0, N=o.N, seed=o.seed)
    need_imp("fig1", [] if o.sparsity is None else [o.sparsity], o.seed)
    o = plan.figures["fig3"]
    both = list(dict.fromkeys(plan.sweep_runs + plan.grid_runs))
    need("fig3", both, "grid or d-sweep", sigma0=o.sigma0)
    for sigma in o.sigmas:
        need("fig3", both, "grid or d-sweep", sigma0=sigma, N=o.N, hidden=o.d, seed=o.seed)
    for fig in ("fig4", "fig5"):
        o = plan.figures[fig]
        for sigma in o.sigmas:
            for n in o.Ns:
                need(fig, plan.grid_runs, "grid", sigma0=sigma, N=n, seed=o.seed)
    need_imp("fig5", plan.figures["fig5"].sparsities, plan.figures["fig5"].seed)
    return list(dict.fromkeys(problems))
