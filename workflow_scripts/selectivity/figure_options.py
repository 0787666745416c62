"""Each figure's options and the claims options, resolved once from the config.

A figure's options are its dataclass of ``specs.FIGURES`` built from what
``selectivity.figures.<fig>`` sets, the dataclass defaults, and the values that follow
from the rest of the config (the model, the ablated modules, the regulariser setting).
The plan passes them to the figure job, the caption and the catalog alike.
"""

from ..specs import from_params
from .specs import FIGURES, MODULES, ClaimsOptions

LAST_MODULE = max(MODULES)


def figure_options(s):
    """{fig: options} for the ``selectivity`` block ``s`` of a validated config."""
    ablated = sorted(int(m) for m in s["ablation"]["modules"])
    draws = int(s["ablation"]["draws"])
    reg = _regulariser(s["regularizer"])
    derived = {
        "fig2": {"model": s["model"]["name"], "source": s["data"]["source"]},
        "fig3": {"modules": [m for m in ablated if m < LAST_MODULE], "draws": draws},
        "fig4": {"modules": [m for m in ablated if m == LAST_MODULE], "draws": draws},
        "fig5": {},
        "fig6": {k: v for k, v in reg.items() if k != "onsets"},
        "fig7": {k: v for k, v in reg.items() if k != "later_onset"},
        "fig8": {"modules": ablated, "draws": draws},
        "fig9": {},
        "fig10": {},
    }
    given = s["figures"]
    return {
        fig: from_params(cls, {**derived[fig], **given.get(fig, {})})
        for fig, cls in FIGURES.items()
    }


def claims_options(s):
    return from_params(ClaimsOptions, _regulariser(s["regularizer"]))


def _regulariser(r):
    return {
        "alpha": float(r["alpha"]),
        "modules": [int(m) for m in r["modules"]],
        "onset_unit": r["onset_unit"],
        "onsets": [float(o) for o in r["onsets"]],
        "later_onset": float(r["later_onset"]),
        "seeds": [int(x) for x in r["seeds"]],
    }
