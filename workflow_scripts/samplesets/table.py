"""The grid summary table (``plan.paths.table("grid")``): one row per (depth, width, loss).

Beyond the paper, which only says "all other networks follow the same trends": per net
(seed means) the final validation error, the error-onset step, and per hidden layer the
activation fraction at init, its peak height and step, its final value, and the final
predictability and informativeness (``metrics.grid_row``). Layers a net does not have
are left empty.
"""

import csv

from ..store.atomic import atomic_path
from . import metrics


def grid_rows(cubes, options):
    """(rows, most hidden layers) of the nets of ``options`` (``GridTableOptions``)."""
    groups = metrics.group_by_net(cubes)
    if set(groups) != set(options.nets):
        raise ValueError(f"the cubes hold nets {sorted(groups)}, the table lists {options.nets}")
    max_layers = max(int(g[0].attrs["depth"]) - 1 for g in groups.values())
    rows = [
        metrics.grid_row(net, group, max_layers, options.onset_fraction)
        for net, group in groups.items()
    ]
    return rows, max_layers


def write_grid_table(cubes, options, out):
    rows, max_layers = grid_rows(cubes, options)
    with atomic_path(out) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=metrics.grid_columns(max_layers))
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in row.items()}
                )
    return rows
