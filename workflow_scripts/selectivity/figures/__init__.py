"""Figures of the class-selectivity paper, one function per name of ``figure_specs.FIGURES``,
each ``(cubes, options, out)``: the run cubes by input name (``baseline``: the
unregularised runs, one per seed; for figs 6-7 also ``regularised``), the figure's
resolved options (its ``figure_specs.FIGURES`` dataclass) and the PDF to write.

Numbers come from ``selectivity.metrics``; these modules only draw. Time axes are
training batches on a symlog scale (everything happens in the first few hundred
batches), with the epochs on a second axis on top. Shades are 95 % confidence intervals
of the mean over seeds (seaborn's bootstrap), as in the paper.
"""

from .ablation import fig3, fig4, fig8
from .cka import fig5, fig10
from .regulariser import fig6, fig7
from .si import fig2, fig9

__all__ = ["fig2", "fig3", "fig4", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10"]
