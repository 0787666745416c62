"""Config validation before any job runs, with messages that name the offending key.

The JSON schema (``schemas/config.schema.yaml``, the shared definitions in
``schemas/common.schema.yaml`` and one ``schemas/<study>.schema.yaml`` per study,
found by name) catches unknown keys, wrong types and out-of-range values. Values that
are valid one by one but contradict each other are each study's to check:
``workflow_scripts.<study>.checks.config_problems(config)``, called here for every
study once the schema passes.

``load_config(*overlays)`` is config.yaml with overlays merged the way Snakemake merges
``--configfile`` files (``snakemake.utils.update_config``), validated: what the
``trainscope index`` command and the tests plan from.
"""

import functools
import re
from pathlib import Path

import jsonschema
import yaml
from referencing import Registry, Resource

from .study import REPO, SCHEMA_DIR, study_module, study_names


class ConfigError(ValueError):
    pass


def schema_id(name):
    return f"urn:trainscope:schema:{name}"


@functools.lru_cache(maxsize=4)
def _schemas(schema_dir):
    schema_dir = Path(schema_dir)
    top = yaml.safe_load((schema_dir / "config.schema.yaml").read_text())
    studies = study_names(schema_dir)
    resources = []
    for name in ["common", *studies]:
        sub = yaml.safe_load((schema_dir / f"{name}.schema.yaml").read_text())
        # its own $id makes the schema's "#/$defs/..." refs resolve inside it; studies
        # reach the shared definitions as "urn:trainscope:schema:common#/$defs/..."
        sub["$id"] = schema_id(name)
        resources.append((sub["$id"], Resource.from_contents(sub)))
        if name != "common":
            top["properties"][name] = {"$ref": sub["$id"]}
    top["properties"]["default_study"]["enum"] = studies
    top["required"] = sorted(set(top.get("required", [])) | set(studies))
    return top, Registry().with_resources(resources), tuple(studies)


def key_path(error):
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "<top level>"


def describe(error):
    """'config key <study>.train.lr: -1 is less than or equal to the minimum of 0'."""
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        # name the unexpected key itself, not only its parent; jsonschema's message
        # lists them as "('a', 'b' were unexpected)"
        match = re.search(r"\((.*) (?:was|were) unexpected\)", error.message)
        extra = re.findall(r"'([^']*)'", match.group(1)) if match else []
        prefix = key_path(error)
        names = ", ".join(f"{prefix}.{k}" if prefix != "<top level>" else k for k in extra)
        if names:
            return f"unknown config key {names}"
    if error.validator == "required":
        missing = re.search(r"'([^']*)' is a required property", error.message)
        if missing:
            prefix = key_path(error)
            name = missing.group(1) if prefix == "<top level>" else f"{prefix}.{missing.group(1)}"
            return f"missing config key {name}"
    if error.validator == "propertyNames":
        return f"config key {key_path(error)}: invalid name {error.instance!r} ({error.message})"
    return f"config key {key_path(error)}: {error.message}"


def validate_config(config, schema_dir=SCHEMA_DIR):
    """Raise ConfigError listing every problem; return None when the config is valid."""
    top, registry, studies = _schemas(str(schema_dir))
    validator = jsonschema.Draft202012Validator(top, registry=registry)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = [describe(leaf) for e in errors for leaf in _leaves(e)]
    if not problems:
        for study in studies:
            problems += study_module(study, "checks").config_problems(config)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(dict.fromkeys(problems)))


def _leaves(error):
    # $ref / allOf wrap the useful message in sub-errors
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def load_config(*overlays, validate=True):
    """config.yaml with the overlay files applied in order, as Snakemake merges them."""
    from snakemake.utils import update_config

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    for overlay in overlays:
        update_config(config, yaml.safe_load(Path(overlay).read_text()) or {})
    if validate:
        validate_config(config)
    return config
