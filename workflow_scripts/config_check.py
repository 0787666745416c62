"""Config validation before any job runs, with messages that name the offending key.

The JSON schema (schemas/config.schema.yaml plus one schemas/<study>.schema.yaml per
study) catches unknown keys, wrong types and out-of-range values; a few checks that a
schema cannot express (figure run names must exist) follow.
"""

import re
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


def load_schema(schema_dir):
    schema_dir = Path(schema_dir)
    schema = yaml.safe_load((schema_dir / "config.schema.yaml").read_text())
    for study_file in sorted(schema_dir.glob("*.schema.yaml")):
        study = study_file.name.split(".")[0]
        if study != "config":
            sub = yaml.safe_load(study_file.read_text())
            # its own $id makes the study schema's "#/$defs/..." refs resolve inside it
            sub.setdefault("$id", f"urn:trainscope:schema:{study}")
            schema["properties"][study] = sub
    return schema


def key_path(error):
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "<top level>"


def describe(error):
    """'config key wtm.train.lr: -1 is less than or equal to the minimum of 0'."""
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


def validate_config(config, schema_dir):
    """Raise ConfigError listing every problem; return None when the config is valid."""
    schema = load_schema(schema_dir)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = [describe(leaf) for e in errors for leaf in _leaves(e)]
    if not problems and "wtm" in config:
        problems += _check_wtm_references(config["wtm"])
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(dict.fromkeys(problems)))


def _leaves(error):
    # $ref / allOf wrap the useful message in sub-errors
    if error.context:
        for sub in error.context:
            yield from _leaves(sub)
    else:
        yield error


def _check_wtm_references(wtm):
    runs = set(wtm["runs"])
    problems = []
    for fig, opts in wtm["figures"].items():
        names = opts.get("runs", []) + ([opts["run"]] if "run" in opts else [])
        for name in names:
            if name not in runs:
                problems.append(
                    f"config key wtm.figures.{fig}: run {name!r} is not defined in wtm.runs "
                    f"(defined: {', '.join(sorted(runs))})")
    return problems
