"""Figures of "It's not a lottery, it's a race", from the cubes only: one module per figure.

Every figure is ``fig<N>(records, options, out)``: ``records`` (``race.records``: one dict
per run, labels plus opened cubes), the figure's options (``figure_specs.FIGURES[name]``,
resolved by the plan; the figure reads nothing else) and the output path. Plotting
only: loading, selection and the numbers behind the claims live in ``race.records`` and
``race.claims``; the shared look in ``workflow_scripts.plotting``.
"""

import matplotlib

matplotlib.use("Agg")

from .fig1 import fig1  # noqa: E402
from .fig3 import fig3  # noqa: E402
from .fig4 import fig4  # noqa: E402
from .fig5 import fig5  # noqa: E402
from .fig7 import fig7  # noqa: E402

FIGURES = {"fig1": fig1, "fig3": fig3, "fig4": fig4, "fig5": fig5, "fig7": fig7}
