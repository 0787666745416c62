"""Frozen dataclass specs: one way to hash them and one way to rebuild them from params.

Every study describes its artifacts with frozen dataclasses (``<study>/specs.py``). The
plan builds them from the config with every value resolved; then

- ``identity(spec)`` is what an artifact id hashes: ``asdict`` without the fields that
  cannot change a result (declared with ``run_setting(...)``, e.g. where the data live);
- ``params(spec)`` is what a rule's ``params:`` carry to the job: the same without the
  run settings either, so that changing one reruns nothing;
- ``from_params(Spec, params)`` rebuilds the spec in the job (nested specs from their
  dicts, JSON lists back to tuples).

Why by hand: ``dataclasses.asdict`` has no field filter and no inverse; the inverse
needs the field types, which ``typing.get_type_hints`` gives.
"""

import dataclasses
import functools
import types
import typing

RUN_SETTING = "trainscope_run_setting"


def run_setting(default=dataclasses.MISSING, *, why):
    """A field that cannot change a result (a location, a speed knob): not hashed into
    ids and not carried by ``params:``; ``why`` says why it cannot change a result."""
    return dataclasses.field(default=default, metadata={RUN_SETTING: why})


def is_run_setting(f):
    return RUN_SETTING in f.metadata


def run_settings(cls, block):
    """The run settings of ``cls`` that a config block sets: what a job reads from the
    config it runs under, beside the ``params`` it was given (``from_params(cls, params,
    **run_settings(cls, block))``)."""
    return {f.name: block[f.name] for f in dataclasses.fields(cls)
            if is_run_setting(f) and f.name in block}  # fmt: skip


def identity(spec):
    """The spec as a plain dict for hashing: nested specs included, run settings left out."""
    return _plain(spec, keep=lambda f: not is_run_setting(f))


def params(spec):
    """The spec as a rule's ``params:`` carry it (equal to ``identity``: run settings reach
    a job from the config it runs under, never through params)."""
    return identity(spec)


def from_params(cls, values, **run_settings):
    """``cls`` rebuilt from ``params(spec)`` (or ``asdict``); ``run_settings`` fill the
    fields params leave out (their defaults otherwise)."""
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in values:
            kwargs[f.name] = _rebuild(hints[f.name], values[f.name])
        elif f.name in run_settings:
            kwargs[f.name] = run_settings[f.name]
    unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
    return cls(**kwargs)


def replace(spec, **changes):
    return dataclasses.replace(spec, **changes)


@functools.cache
def _hints(cls):
    return typing.get_type_hints(cls)


def _plain(value, keep):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name), keep)
            for f in dataclasses.fields(value)
            if keep(f)
        }
    if isinstance(value, (list, tuple)):
        return [_plain(v, keep) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, keep) for k, v in value.items()}
    return value


def _rebuild(hint, value):
    """A JSON value back into the type its field declares."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _rebuild(options[0], value) if len(options) == 1 else value
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_params(hint, value)
    if hint is tuple or origin is tuple:
        args = [a for a in typing.get_args(hint) if a is not Ellipsis]
        item = args[0] if len(args) == 1 or (args and Ellipsis in typing.get_args(hint)) else None
        return tuple(_rebuild(item, v) if item is not None else _tuples(v) for v in value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _tuples(value):
    """Nested JSON lists as nested tuples (e.g. groups of class indices)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value
