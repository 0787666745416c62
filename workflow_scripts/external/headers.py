"""A checkpoint's step / epoch entries read without torch (plan time).

- safetensors: the file starts with an 8-byte little-endian header length and a JSON
  header whose ``__metadata__`` (strings) may hold ``step`` / ``global_step`` / ``epoch``;
- torch's zip format (``torch.save`` since 1.6): the pickle ``<archive>/data.pkl`` is read
  by an unpickler that builds NOTHING: every class it names becomes an inert placeholder and
  tensor storages stay unread, so only plain numbers, strings, lists and dicts come out
  (no code of the file runs). Why by hand: ``torch.load`` would import torch while the
  workflow is parsed, and reading the whole checkpoint (ResNet-50: 100 MB) to learn one
  number is what this avoids.

Anything else (the legacy non-zip format, unreadable files) gives (None, None): the plan
then asks the user to give the step in the config.
"""

import json
import pickle
import struct
import zipfile
from pathlib import Path

KEYS_STEP = ("global_step", "step")
KEYS_EPOCH = ("epoch",)


class _Inert:
    """What every global of the pickle becomes: accepts any construction, holds nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Inert()

    def __setstate__(self, state):
        pass

    def __setitem__(self, key, value):
        pass

    def append(self, value):
        pass

    def extend(self, values):
        pass


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return dict
        return _Inert

    def persistent_load(self, pid):
        return _Inert()


def _torch_entries(path):
    with zipfile.ZipFile(path) as archive:
        name = next((n for n in archive.namelist() if n.endswith("data.pkl")), None)
        if name is None:
            return {}
        with archive.open(name) as fh:
            obj = _Unpickler(fh).load()
    return obj if isinstance(obj, dict) else {}


def _safetensors_entries(path):
    with open(path, "rb") as fh:
        (length,) = struct.unpack("<Q", fh.read(8))
        if length > 100 * 2**20:
            return {}
        header = json.loads(fh.read(length))
    return header.get("__metadata__") or {}


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN: not a time


def time_entries(path):
    """(step, epoch) the file records about itself (either may be None)."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            entries = _safetensors_entries(path)
        elif zipfile.is_zipfile(path):
            entries = _torch_entries(path)
        else:
            return None, None
    except Exception:  # a damaged or foreign file: the job's loader says what is wrong
        return None, None
    step = next((_number(entries[k]) for k in KEYS_STEP if k in entries), None)
    epoch = next((_number(entries[k]) for k in KEYS_EPOCH if k in entries), None)
    return (None if step is None else int(step)), epoch
