"""Adapters of the shared data rules (explicit install steps; no rule depends on them)."""

import logging
from pathlib import Path

from ..entry import stage

log = logging.getLogger(__name__)


@stage(torch=False)
def install_fashion_mnist(smk):
    from .idx import install_debian

    # <data_dir>/FashionMNIST/raw/<file> -> <data_dir>
    data_dir = Path(smk.output[0]).parents[2]
    log.info("idx files in %s", install_debian("fashion_mnist", data_dir))
