"""Adapters of the external rules: read the job's files and params, call one library
function. Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``; library
modules are imported inside each adapter (each stage's code digest covers its own code)."""

from ..entry import stage


def _workers(threads, device):
    """DataLoader processes of an image-folder job: every thread on a GPU job, all but one
    on a CPU job (the main process computes)."""
    return int(threads) if device.type == "cuda" else max(0, int(threads) - 1)


def _data_dir(smk):
    return str(smk.config.get("data_dir", "data"))


def _download(smk):
    runs = smk.config.get("external", {})
    probe = {**runs.get("defaults", {}).get("probe", {})}
    probe.update(runs.get("runs", {}).get(smk.params.spec["run"], {}).get("probe", {}))
    return bool(probe.get("download", False))


@stage
def measure(smk, device):
    from .extract import measure_checkpoint

    measure_checkpoint(
        smk.params.spec,
        smk.output[0],
        _data_dir(smk),
        device=device,
        workers=_workers(smk.threads, device),
        download=_download(smk),
    )


@stage
def ablate(smk, device):
    from .extract import ablate_checkpoint

    spec = dict(smk.params.spec)
    a = dict(spec["ablation"])
    run = smk.config.get("external", {}).get("runs", {}).get(spec["run"], {})
    defaults = smk.config.get("external", {}).get("defaults", {}).get("ablation", {})
    a["masks_per_pass"] = int(
        run.get("ablation", {}).get("masks_per_pass", defaults.get("masks_per_pass", 0))
    )
    ablate_checkpoint(
        {**spec, "ablation": a},
        smk.input.measure,
        smk.output[0],
        _data_dir(smk),
        device=device,
        workers=_workers(smk.threads, device),
        download=_download(smk),
    )


@stage(torch=False)
def merge(smk):
    from ..store.cube import standard_attrs
    from .merge import merge as merge_parts

    p = smk.params.spec
    attrs = standard_attrs(
        f"external run {p['run']}: {p['metric']}",
        "external",
        p["config"],
        run=p["run"],
        metric=p["metric"],
        cube_id=p["cube_id"],
        **{k: v for k, v in p["labels"].items() if k != "run"},
    )
    parts = [smk.input.parts] if isinstance(smk.input.parts, str) else list(smk.input.parts)
    merge_parts(parts, p["metric"], p["time_unit"], smk.output[0], attrs)


@stage(torch=False)
def figure(smk):
    from ..plotting import apply_style
    from ..store.cube import open_cube
    from . import figures

    apply_style()
    with open_cube(smk.input.cube) as cube:
        getattr(figures, smk.wildcards.fig)({"cube": cube}, smk.params.options, smk.output[0])
