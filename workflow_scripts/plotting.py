"""The shared look of every figure: seaborn paper context, class colours, axes helpers,
atomic PDF output. A study's figures live in its own package (``<study>/figures.py``)."""

import matplotlib

matplotlib.use("Agg")  # figures are files; no display on cluster nodes or in CI

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from .store.atomic import atomic_path  # noqa: E402

CLASS_PALETTES = ("Blues", "Reds")  # class 0 / class 1: one shade per pattern
CLASS_COLOURS = ("tab:blue", "tab:red")


def apply_style():
    sns.set_theme(context="paper", style="ticks", font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.bbox": "tight",
            "pdf.fonttype": 42,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def class_shades(n_per_class, cls):
    """Distinct shades of the class colour for that class's patterns."""
    return sns.color_palette(CLASS_PALETTES[cls], n_colors=n_per_class + 2)[2:]


def save_figure(fig, path):
    """Write the PDF atomically (no half-written figure under its final name)."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="pdf")
    plt.close(fig)
