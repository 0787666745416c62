"""One run of the config -> its resolved specs, checkpoints and the problems found on the way.

``resolve(name, config)`` merges the run's keys over ``external.defaults``, lists and places
its checkpoints (``checkpoints``), and builds the specs (``specs``). It returns the run (None
when a problem makes it unusable) and the problems, each naming its config key; the plan
and ``checks.config_problems`` both call it, so a problem is reported before any job runs.
"""

import copy
from dataclasses import dataclass, field

from .. import datasets, models
from ..datasets.imagefolder import split_dir, split_layout
from . import checkpoints as found
from .specs import (
    MEASURED,
    AblationOptions,
    Checkpoint,
    DataSpec,
    ExtractOptions,
    LoadSpec,
    ModelSpec,
)

STUDY = "external"
NEEDS_LABELS = ("selectivity", "samplesets", "ablation")


@dataclass
class Run:
    name: str
    model: ModelSpec
    load: LoadSpec
    data: DataSpec
    extract: ExtractOptions
    ablation: AblationOptions | None
    metrics: tuple
    source: object  # the checkpoints config value (glob, directory or list)
    time_unit: str
    checkpoints: list = field(default_factory=list)  # Checkpoint, in time order


def merged(base, over):
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def data_spec(probe, data_dir):
    t = probe["transforms"]
    return DataSpec(
        source=probe["source"],
        folder=str(probe["folder"]),
        split=probe["split"],
        n=int(probe["n"]),
        seed=int(probe["seed"]),
        resize=int(t.get("resize", 0)),
        crop=int(t.get("crop", 0)),
        mean=tuple(float(v) for v in t.get("mean", ())),
        std=tuple(float(v) for v in t.get("std", ())),
        channels=int(t.get("channels", 0)),
        flatten=bool(t.get("flatten", False)),
        data_dir=str(data_dir),
        download=bool(probe["download"]),
    )


def resolve(name, config):
    """(Run or None, problems) of run ``name`` (module doc)."""
    s = config[STUDY]
    key = f"{STUDY}.runs.{name}"
    cfg = merged(s["defaults"], s["runs"][name])
    problems = []
    model = ModelSpec(cfg["model"]["name"], dict(cfg["model"].get("args") or {}))
    why = models.factory_problem(model.name)
    if why:
        problems.append(f"config key {key}.model.name: {why}")
    data = data_spec(cfg["probe"], config["data_dir"])
    metrics = tuple(m for m in MEASURED + ("ablation",) if m in cfg["metrics"])
    problems += _data_problems(data, metrics, key)
    e, layers = cfg["extract"], tuple(cfg["layers"])
    extract = ExtractOptions(
        metrics=tuple(m for m in metrics if m in MEASURED),
        layers=layers,
        cka_layers=tuple(cfg.get("cka_layers") or layers),
        batch_size=int(e["batch_size"]),
        floor_seed=int(e["floor_seed"]),
        cka_precision=e["cka_precision"],
        bn=e["bn"],
    )
    ablation = _ablation(cfg, layers, metrics, key, problems) if "ablation" in metrics else None
    if "cka" in metrics and data.n and data.n < extract.batch_size:
        problems.append(
            f"config key {key}.probe.n: {data.n} probe images make no full batch of "
            f"{extract.batch_size} (extract.batch_size): minibatch CKA needs at least one"
        )
    files, file_problems = found.list_files(cfg["checkpoints"], f"{key}.checkpoints")
    problems += file_problems
    placed, time_problems = found.place(files, cfg["time"], key) if files else ([], [])
    problems += time_problems
    if problems:
        return None, problems
    unit = found.time_unit(placed, cfg["time"]["unit"])
    run = Run(
        name=name,
        model=model,
        load=LoadSpec(
            state_key=str(cfg.get("state_key", "auto")),
            prefix=str(cfg.get("prefix", "auto")),
            allow_globals=tuple(cfg.get("allow_globals", ())),
        ),
        data=data,
        extract=extract,
        ablation=ablation,
        metrics=metrics,
        source=cfg["checkpoints"],
        time_unit=unit,
    )
    run.checkpoints = [Checkpoint(found.label(f, unit), f.path, f.step, f.epoch) for f in placed]
    return run, []


def _ablation(cfg, layers, metrics, key, problems):
    a = cfg["ablation"]
    groups = a.get("groups") or {layer: [layer] for layer in layers}
    if "selectivity" not in metrics:
        problems.append(
            f"config key {key}.metrics: ablation ranks units by their selectivity: add "
            "selectivity to the metrics"
        )
    for group, members in groups.items():
        outside = [m for m in members if m not in layers]
        if outside:
            problems.append(
                f"config key {key}.ablation.groups.{group}: {outside} not among the run's "
                f"layers {list(layers)} (ablation ranks units by their measured SI)"
            )
    if 0 not in a["fractions"]:
        problems.append(
            f"config key {key}.ablation.fractions: must contain 0 (the unablated accuracy)"
        )
    if cfg["extract"]["bn"] == "batch":
        problems.append(
            f"config key {key}.extract.bn: batch statistics mix the images of every mask "
            "evaluated together; ablation needs bn: running"
        )
    return AblationOptions(
        groups=tuple((g, tuple(m)) for g, m in groups.items()),
        fractions=tuple(float(f) for f in a["fractions"]),
        draws=int(a["draws"]),
        seed=int(a["seed"]),
        on_skip=a["on_skip"],
        channels_last=bool(a["channels_last"]),
        masks_per_pass=int(a["masks_per_pass"]),
    )


def _data_problems(data, metrics, key):
    if data.source not in datasets.NAMES:
        return [
            f"config key {key}.probe.source: unknown source {data.source!r}; known: "
            f"{', '.join(datasets.NAMES)}"
        ]
    if data.mean and len(data.mean) != len(data.std):
        return [f"config key {key}.probe.transforms: mean and std need the same length"]
    if data.source != datasets.IMAGE_FOLDER:
        return []
    if not data.folder:
        return [f"config key {key}.probe.folder: an imagefolder source needs its folder"]
    layout = split_layout(data.data_dir, data.folder, data.split)
    where = split_dir(data.data_dir, data.folder, data.split)
    if layout in ("missing", "empty"):
        return [
            f"config key {key}.probe.folder: no images in {where} ({layout}); put the "
            f"split's images there, one sub-folder per class"
        ]
    needing = [m for m in metrics if m in NEEDS_LABELS]
    if layout == "flat" and needing:
        return [
            f"config key {key}.probe: {', '.join(needing)} need class labels, but {where} "
            "holds images without class folders; sort them into <class>/ folders, or "
            "keep only metrics: [cka]"
        ]
    return []
