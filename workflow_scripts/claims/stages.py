"""Adapter of the shared rule ``claims_table``: results/claims/<study>.csv."""

import importlib

from ..entry import stage


def claims_of(study):
    return importlib.import_module(f"workflow_scripts.{study}.claims").CLAIMS


@stage(torch=False)
def table(smk):
    from .table import write_table

    rows = claims_of(smk.wildcards.study).evaluate(
        dict(smk.input.items()), smk.params.options, size=smk.params.size
    )
    write_table(rows, smk.output[0])
