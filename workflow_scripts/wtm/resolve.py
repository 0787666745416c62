"""Each figure's options resolved once from the config, and the files they read.

``given(wtm)``: the ``wtm.figures`` block over the defaults of ``figure_specs.FIGURES`` (what
the cross-field checks read). ``figure_options(wtm)`` adds what the captions state that other
parts of the config decide (each run's noise level, how each ablation differs from the
full model), so a caption never holds a number the config can change.
"""

from dataclasses import fields

from ..specs import from_params, replace
from .figure_specs import FIGURES


def given(wtm):
    """{figure: options} from ``wtm.figures`` (a key left out takes the default)."""
    block = wtm.get("figures", {})
    return {fig: from_params(cls, block.get(fig, {})) for fig, cls in FIGURES.items()}


def run_settings(wtm, name):
    """A named run's training settings and noise level, its seed left out (a run is
    planned once per seed)."""
    run = wtm["runs"][name]
    settings = {**wtm["train"], **run}
    settings.pop("seed", None)
    return settings


def changes(wtm, name, reference):
    """How run ``name`` differs from ``reference``, e.g. 'hidden 1 instead of 1000'."""
    mine, theirs = run_settings(wtm, name), run_settings(wtm, reference)
    diff = [
        f"{k} {_show(mine[k])} instead of {_show(theirs[k])}"
        for k in sorted(mine)
        if mine[k] != theirs[k]
    ]
    return ", ".join(diff) or f"the same settings as {reference}"


def _show(value):
    if isinstance(value, bool):
        return str(value).lower()  # as the config writes it
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def figure_options(wtm):
    figures = given(wtm)
    fig1, fig3 = figures["fig1"], figures["fig3"]
    runs = wtm["runs"]
    figures["fig1"] = replace(
        fig1, sigma_train=tuple(float(runs[n]["sigma_train"]) for n in fig1.runs)
    )
    figures["fig3"] = replace(
        fig3, changes=tuple(changes(wtm, n, fig3.reference) for n in fig3.runs)
    )
    return figures


def input_roles(plan, options):
    """The files a figure reads, named by role after the options fields that ask for
    them: ``run`` (the named run's first-seed cube), ``runs`` (one per named run, first
    seed), or with a ``reference`` ``seeds`` instead (every seed of the reference and of
    ``runs``: the figure picks its examples among them), and the noise sweep (``evals``:
    every evaluation the plan holds)."""
    names = {f.name for f in fields(options)}
    roles = {}
    if "run" in names:
        roles["run"] = plan.first_seed_cube(options.run)
    if "reference" in names:
        every = dict.fromkeys([options.reference, *options.runs])
        roles["seeds"] = [c for n in every for c in plan.seed_cube_files(n)]
    elif "runs" in names:
        roles["runs"] = [plan.first_seed_cube(n) for n in options.runs]
    if "sigma_test" in names:
        roles["evals"] = [plan.eval_file(e) for e in sorted(plan.evals)]
    return roles
