"""A run's checkpoint files, and where each sits in training time, found at plan time.

No torch here (the workflow is parsed on every call): files are listed from a glob, an
explicit list or an open_lth run directory; each file's step or epoch comes from, in order,

1. ``time.values`` of the config (an explicit list, one value per file);
2. ``time.pattern`` of the config (a regex whose group is the number, in ``time.unit``);
3. the file name: ``model_ep<E>_it<I>.pth`` (open_lth), ``epoch=<E>-step=<S>`` (PyTorch
   Lightning), ``step<S>`` / ``global_step<S>`` / ``iter<S>``, ``epoch<E>`` / ``ep<E>``;
4. the file itself: the ``step`` / ``global_step`` / ``epoch`` entries of a torch
   checkpoint's top-level dict or of a safetensors file's metadata (``headers``);
5. a bare number after ``model_`` / ``checkpoint_`` / ``ckpt_`` / ``weights_`` (an epoch, as
   torchvision's reference scripts name ``model_{epoch}.pth``; ``time.unit: step`` reads it
   as a step).

Problems (nothing matched, a step that cannot be told, two files at one time) are messages
naming the config key, returned for ``checks.config_problems``.
"""

import difflib
import glob
import re
from dataclasses import dataclass
from pathlib import Path

from .headers import time_entries

OPEN_LTH = re.compile(r"^model_ep(\d+)_it(\d+)\.pth$")
LIGHTNING = re.compile(r"epoch=(\d+)-step=(\d+)")
STEP = re.compile(r"(?:^|[^a-z])(?:global_step|step|iteration|iter|it)[_=-]?(\d+)", re.I)
EPOCH = re.compile(r"(?:^|[^a-z])(?:epoch|ep)[_=-]?(\d+)", re.I)
BARE = re.compile(r"^(?:model|checkpoint|ckpt|weights)[_-](\d+)\.\w+$", re.I)
NAMES_HELP = (
    "step<S>, epoch<E>, model_ep<E>_it<I>.pth, epoch=<E>-step=<S>, model_<E>.pth, or a "
    "torch file with a step/global_step/epoch entry"
)


@dataclass(frozen=True)
class Found:
    path: str
    step: int | None
    epoch: float | None


def list_files(spec, key):
    """([paths], problems) of the run's ``checkpoints`` config value (module doc)."""
    if isinstance(spec, str):
        if Path(spec).is_dir():
            found = sorted(glob.glob(str(Path(spec) / "model_ep*_it*.pth")))
            if found:
                return found, []
            return [], [
                f"config key {key}: the directory {spec} holds no open_lth checkpoint "
                f"(model_ep<E>_it<I>.pth){nearest(Path(spec) / 'model_ep*_it*.pth')}; "
                "give a glob for other names"
            ]
        found = sorted(p for p in glob.glob(spec, recursive=True) if Path(p).is_file())
        if found:
            return found, []
        return [], [f"config key {key}: the pattern {spec!r} matches no file{nearest(spec)}"]
    missing = [p for p in spec if not Path(p).is_file()]
    problems = [f"config key {key}: no checkpoint file {p}{nearest(p)}" for p in missing]
    return [str(p) for p in spec], problems


def nearest(pattern):
    """'; <dir> holds: a, b (nearest names)' for a pattern or path matching nothing."""
    pattern = Path(pattern)
    parts = pattern.parts
    fixed = next((i for i, p in enumerate(parts) if glob.has_magic(p)), len(parts) - 1)
    directory = Path(*parts[:fixed]) if fixed else Path(".")
    if not directory.is_dir():
        return f"; the directory {directory} does not exist"
    names = sorted(p.name for p in directory.iterdir())
    if not names:
        return f"; the directory {directory} is empty"
    wanted = parts[fixed] if fixed < len(parts) else pattern.name
    close = difflib.get_close_matches(wanted, names, n=5, cutoff=0.3) or names[:5]
    return f"; {directory} holds {len(names)} entries, nearest: {', '.join(close)}"


def _from_name(name, unit, steps_per_epoch):
    """(step, epoch) from a file name (either may be None)."""
    if m := OPEN_LTH.match(name):
        ep, it = int(m.group(1)), int(m.group(2))
        if steps_per_epoch:
            step = ep * steps_per_epoch + it
            return step, step / steps_per_epoch
        return (None, float(ep)) if it == 0 else (None, None)
    if m := LIGHTNING.search(name):
        return int(m.group(2)), float(m.group(1))
    if m := STEP.search(name):
        return int(m.group(1)), None
    if m := EPOCH.search(name):
        return None, float(m.group(1))
    return None, None


def _from_bare_number(name, unit):
    """The weakest evidence, tried last: model_<n>.pth (an epoch unless unit is step)."""
    if m := BARE.match(name):
        value = int(m.group(1))
        return (value, None) if unit == "step" else (None, float(value))
    return None, None


def place(paths, time, key):
    """([Found], problems): each file's step / epoch (module doc), in time order."""
    unit, pattern, values = time["unit"], time["pattern"], time["values"]
    spe = int(time["steps_per_epoch"])
    problems = []
    if values and len(values) != len(paths):
        return [], [
            f"config key {key}.time.values: {len(values)} values for {len(paths)} "
            "checkpoints (give one per file of an explicit checkpoint list)"
        ]
    found = []
    for i, path in enumerate(paths):
        name = Path(path).name
        step, epoch = None, None
        if values:
            step, epoch = _as_unit(values[i], unit)
        elif pattern:
            m = re.search(pattern, name)
            if m:
                step, epoch = _as_unit(float(m.group(1)), unit)
        else:
            step, epoch = _from_name(name, unit, spe)
            if step is None and epoch is None:
                step, epoch = time_entries(path)
            if step is None and epoch is None:
                step, epoch = _from_bare_number(name, unit)
        if step is None and epoch is None:
            problems.append(_unplaced(key, path, pattern))
        elif step is not None and epoch is None and spe:
            epoch = step / spe
        elif epoch is not None and step is None and spe:
            step = int(round(epoch * spe))
        found.append(Found(str(path), step, epoch))
    if problems:
        return [], problems
    return _ordered(found, unit, key)


def _as_unit(value, unit):
    if unit == "epoch":
        return None, float(value)
    if float(value) != int(value):
        raise ValueError(f"step {value} is not a whole number")
    return int(value), None


def _unplaced(key, path, pattern):
    what = (
        f"time.pattern {pattern!r} does not match its name"
        if pattern
        else (f"its name matches none of {NAMES_HELP}")
    )
    return (
        f"config key {key}: cannot tell the training step of {path}: {what}. Give it "
        f"with {key}.time.pattern (a regex whose group is the number, e.g. 'ckpt-(\\d+)') "
        f"and {key}.time.unit (step or epoch), or list the checkpoints and give "
        f"{key}.time.values"
    )


def time_unit(found, unit):
    """'step' or 'epoch': what every checkpoint of the run has (``unit`` if given)."""
    if unit in ("step", "epoch"):
        return unit
    if all(f.step is not None for f in found):
        return "step"
    if all(f.epoch is not None for f in found):
        return "epoch"
    return None


def _ordered(found, unit, key):
    unit = time_unit(found, unit)
    if unit is None:
        steps = [Path(f.path).name for f in found if f.step is not None][:3]
        return [], [
            f"config key {key}: some checkpoints give a step ({', '.join(steps)}...) and "
            f"others only an epoch: set {key}.time.steps_per_epoch to place them on one axis"
        ]
    value = (lambda f: f.step) if unit == "step" else (lambda f: f.epoch)
    found = sorted(found, key=value)
    seen, problems = {}, []
    for f in found:
        if value(f) in seen:
            problems.append(
                f"config key {key}: two checkpoints at {unit} {value(f):g}: "
                f"{seen[value(f)]} and {f.path}"
            )
        seen[value(f)] = f.path
    return (found, problems) if not problems else ([], problems)


def label(found, unit):
    """A checkpoint's name in the store: its time, and a short hash of its path (two files
    never share a part, whatever their time)."""
    import hashlib

    digest = hashlib.sha1(str(Path(found.path).absolute()).encode()).hexdigest()[:8]
    if unit == "step":
        return f"step{found.step:09d}-{digest}"
    return f"epoch{found.epoch:g}-{digest}".replace(".", "p")
