"""Cross-field checks of the race config: values valid one by one that contradict each
other, named by key, reported before any job runs (``config_check``)."""

from .. import datasets
from .plan import STUDY, build_plan


def config_problems(config):
    race = config[STUDY]
    problems = _data_problems(race) + _imp_problems(race)
    if not problems:
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
        if want is None:
            continue
        got = run[key]
        if isinstance(want, float) or isinstance(got, float):
            if abs(float(got) - float(want)) > 1e-6 * max(abs(float(want)), 1e-300):
                return False
        elif got != want:
            return False
    return True


def _figure_reference_problems(plan, race):
    """Figure options that name no planned run / IMP sparsity: a label outside the grid
    would only fail in the figure job after every run was trained."""
    figs, grid, imp = race["figures"], race["grid"], race["imp"]
    problems = []

    def need(fig, run_ids, what, **labels):
        if not any(_matches(plan.runs[r], labels) for r in run_ids):
            shown = ", ".join(
                f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in labels.items()
                if v is not None
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
        if sparsities and seed is not None and seed not in imp["seeds"]:
            problems.append(
                f"config key race.figures.{fig}: seed {seed} has no IMP runs "
                f"(race.imp.seeds {imp['seeds']})"
            )

    o = figs["fig1"]
    need("fig1", plan.grid_runs, "grid", sigma0=o.get("sigma0"), N=o.get("N"), seed=o.get("seed"))
    if "sparsity" in o:
        need_imp("fig1", [o["sparsity"]], o.get("seed"))
    o = figs["fig3"]
    both = list(dict.fromkeys(plan.sweep_runs + plan.grid_runs))
    for sigma in o.get("sigmas") or grid["sigma0"]:
        need(
            "fig3",
            both,
            "grid or d-sweep",
            sigma0=float(sigma),
            N=o.get("N"),
            hidden=o.get("d"),
            seed=o.get("seed"),
        )
    for fig in ("fig4", "fig5"):
        o = figs[fig]
        for sigma in o.get("sigmas") or grid["sigma0"]:
            for n in o.get("Ns") or grid["n_train"]:
                need(fig, plan.grid_runs, "grid", sigma0=float(sigma), N=n, seed=o.get("seed"))
    need_imp("fig5", figs["fig5"].get("sparsities", [0.2, 0.5, 0.7]), figs["fig5"].get("seed"))
    return list(dict.fromkeys(problems))
