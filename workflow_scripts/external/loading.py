"""A checkpoint file -> the weights of the run's model (job time).

Formats: a bare ``state_dict``; a dict holding it under ``state_dict`` /
``model_state_dict`` / ``model`` / ``net`` (training loops, torchvision's reference
scripts, PyTorch Lightning ``.ckpt``); ``.safetensors``; open_lth's ``model_ep<E>_it<I>.pth``
(bare state dicts). Keys may carry ``module.`` (DistributedDataParallel), ``_orig_mod.``
(torch.compile) or an attribute prefix (a LightningModule's ``model.``): ``fit`` finds the
prefix that makes the keys those of the model, or says what differs.

torch files load with ``weights_only=True``; the harmless globals real scripts put beside
the weights (argparse.Namespace, pathlib paths) are allowed; any other object stops the
load with a message naming it (``allow_globals`` of the run's config allows more, by name);
nothing is ever unpickled silently.
"""

import argparse
import hashlib
import importlib
import pathlib
from pathlib import Path

import torch

HARMLESS = [
    argparse.Namespace,
    pathlib.PosixPath,
    pathlib.WindowsPath,
    pathlib.PurePosixPath,
    pathlib.PureWindowsPath,
]
STATE_KEYS = ("state_dict", "model_state_dict", "model", "net", "network", "weights")
WRAPPERS = ("module.", "_orig_mod.")
SHOW = 5  # keys shown per list in a message


class CheckpointError(ValueError):
    pass


def _globals(names):
    out = []
    for name in names:
        module, _, attr = name.partition(":")
        out.append(getattr(importlib.import_module(module), attr))
    return out


def load_file(path, allow_globals=()):
    """The object stored in ``path`` (module doc)."""
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file as load_safetensors

        return load_safetensors(str(path), device="cpu")
    allowed = HARMLESS + _globals(allow_globals)
    try:
        with torch.serialization.safe_globals(allowed):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        blocked = _blocked(path)
        if not blocked:
            raise CheckpointError(
                f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}"
            ) from exc
        raise CheckpointError(
            f"checkpoint {path} holds objects that weights-only loading refuses: "
            f"{', '.join(blocked)} (trainscope never unpickles arbitrary objects). If you "
            "trust the file, allow them by name in the run's allow_globals (e.g. "
            f"['{blocked[0].rpartition('.')[0]}:{blocked[0].rpartition('.')[2]}']), or "
            "re-save only the weights: torch.save(obj['state_dict'], 'weights.pt')"
        ) from None


def _blocked(path):
    try:
        found = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:
        return []
    harmless = {f"{g.__module__}.{g.__qualname__}" for g in HARMLESS}
    return [g for g in found if g not in harmless]


def _is_state(obj):
    return (
        isinstance(obj, dict)
        and bool(obj)
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    )


def state_dict_of(obj, path, key="auto"):
    """(state dict, where it was: 'bare' or the key) of a loaded checkpoint."""
    if key != "auto":
        value = obj
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not _is_state(value):
            raise CheckpointError(f"checkpoint {path}: no state dict under {key!r}")
        return value, key
    if _is_state(obj):
        return obj, "bare"
    if isinstance(obj, dict):
        for k in STATE_KEYS:
            if _is_state(obj.get(k)):
                return obj[k], k
        keys = ", ".join(map(repr, list(obj)[:12]))
        raise CheckpointError(
            f"checkpoint {path} is a dict with keys {keys}, none of which holds a state dict "
            "(names -> tensors); name it with the run's state_key (e.g. 'ema.state_dict')"
        )
    raise CheckpointError(f"checkpoint {path} holds a {type(obj).__name__}, not a state dict")


def _strip_wrappers(key):
    changed = True
    while changed:
        changed = False
        for w in WRAPPERS:
            if key.startswith(w):
                key, changed = key[len(w) :], True
    return key


def _under(state, prefix):
    return {_strip_wrappers(k[len(prefix) :]): v for k, v in state.items() if k.startswith(prefix)}


def _prefixes(state):
    out = {""}
    for k in state:
        parts = _strip_wrappers(k).split(".")
        out |= {".".join(parts[:i]) + "." for i in (1, 2) if len(parts) > i}
        out |= {w for w in WRAPPERS if k.startswith(w)}
    return sorted(out, key=len)


def fit(model, state, path, prefix="auto"):
    """``state`` renamed to the model's keys and loaded into ``model`` (strict)."""
    wanted = set(model.state_dict())
    if prefix != "auto":
        candidate = _under(state, prefix)
    else:
        tries = [(p, _under(state, p)) for p in _prefixes(state)]
        exact = [c for p, c in tries if set(c) == wanted]
        # keys missing only num_batches_tracked (saved by old PyTorch): still a fit
        close = [c for p, c in tries if set(c) <= wanted and _only_counters(wanted - set(c))]
        best = max(tries, key=lambda t: len(set(t[1]) & wanted))[1]
        candidate = (exact or close or [best])[0]
    missing = sorted(wanted - set(candidate))
    unexpected = sorted(set(candidate) - wanted)
    if unexpected or (missing and not _only_counters(missing)):
        raise CheckpointError(_mismatch(path, model, state, missing, unexpected))
    try:
        model.load_state_dict(candidate, strict=not missing)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {path} does not fit the model: {exc}") from None
    return model


def _only_counters(keys):
    return all(k.endswith("num_batches_tracked") for k in keys)


def _mismatch(path, model, state, missing, unexpected):
    def show(keys):
        return ", ".join(keys[:SHOW]) + (
            f" and {len(keys) - SHOW} more" if len(keys) > SHOW else ""
        )

    text = f"checkpoint {path} does not fit the model ({type(model).__name__}):"
    if missing:
        text += f" {len(missing)} missing key(s): {show(missing)};"
    if unexpected:
        text += f" {len(unexpected)} unexpected key(s): {show(unexpected)};"
    return text + _hint(set(model.state_dict()), state)


def _hint(wanted, state):
    """Where only a prefix differs: say which one."""
    from collections import Counter

    saved = {_strip_wrappers(k) for k in state}
    extra = Counter(s[: -len(w)] for s in saved for w in wanted if s.endswith("." + w))
    if extra:
        head = extra.most_common(1)[0][0]
        return (
            f" only a prefix differs: the checkpoint's keys start with {head!r} where the "
            f"model's have none (set the run's prefix: {head!r})"
        )
    lacking = Counter(w[: -len(s)] for s in saved for w in wanted if w.endswith("." + s))
    if lacking:
        head = lacking.most_common(1)[0][0]
        return (
            f" only a prefix differs: the model's keys start with {head!r}, the checkpoint's "
            "do not (it holds the weights of that part of the model: build that part)"
        )
    return " the checkpoint was saved from another architecture or with other arguments"


def weights_hash(model):
    """sha256 of the loaded weights (names, dtypes, shapes, bytes; in the model's key
    order): equal for equal weights whatever file or container held them."""
    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def file_hash(path, chunk=2**22):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_entries(obj):
    """What a checkpoint says about itself (step, epoch), for the cube's record."""
    if not isinstance(obj, dict) or _is_state(obj):
        return {}
    out = {}
    for k in ("global_step", "step", "epoch"):
        v = obj.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = v
    return out
