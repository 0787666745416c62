"""Configurations for tests: config.yaml plus overlays, merged as Snakemake merges them."""

from pathlib import Path

import yaml

from workflow_scripts.config_check import load_config
from workflow_scripts.study import REPO

SMOKE = REPO / "configs" / "smoke.yaml"
PAPER = REPO / "configs" / "paper.yaml"


def study_config(*overlays, validate=True):
    """config.yaml with ``overlays`` applied in order: paths (relative ones to the repo) or
    dicts; validated (schema and cross-field checks) unless ``validate=False``."""
    from snakemake.utils import update_config

    files = [o for o in overlays if not isinstance(o, dict)]
    if all(not isinstance(o, dict) for o in overlays):
        return load_config(*map(_path, files), validate=validate)
    config = load_config(validate=False)
    for overlay in overlays:
        if isinstance(overlay, dict):
            update_config(config, overlay)
        else:
            update_config(config, yaml.safe_load(_path(overlay).read_text()) or {})
    if validate:
        from workflow_scripts.config_check import validate_config

        validate_config(config)
    return config


def _path(p):
    p = Path(p)
    return p if p.is_absolute() else REPO / p
