"""Adapters of the wtm rules: read the job's files and params, call one library function.

Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``. Library
modules are imported inside each adapter, so that each stage's code digest covers its
own code only (``workflow_scripts.entry``). Specs are rebuilt from ``params:`` with
``specs.from_params``.
"""

from ..entry import stage


@stage(torch=False)
def data(smk):
    from ..specs import from_params
    from .data import generate, save
    from .specs import DataSpec

    spec = from_params(DataSpec, smk.params.spec)
    save(smk.output[0], generate(spec, smk.wildcards.split), spec)


@stage
def train(smk, device):
    import logging

    from ..specs import from_params
    from ..store import resume
    from .data import load
    from .specs import TrainSpec
    from .train import train_run

    arrays, _ = load(smk.input.data)
    logging.getLogger(__name__).info(
        "training %s on %s with %d thread(s)", smk.output.checkpoints, device, smk.threads
    )
    train_run(
        arrays["x"],
        arrays["y"],
        from_params(TrainSpec, smk.params.spec),
        smk.output.checkpoints,
        device,
        code=smk.params.code,
        every_s=resume.every_seconds(smk.config),
    )


@stage
def extract(smk):
    import torch

    from ..specs import from_params
    from ..store.cube import standard_attrs
    from .data import load
    from .extract import extract
    from .specs import ExtractOptions, TrainSpec

    p = smk.params.spec
    options = from_params(ExtractOptions, p["options"])
    train = from_params(TrainSpec, p["spec"]["run"]["train"])
    train_arrays, _ = load(smk.input.train_data)
    test_arrays, _ = load(smk.input.test_data)
    with torch.no_grad():
        extract(
            smk.input.checkpoints,
            train_arrays,
            test_arrays,
            train.activation,
            options.neurons,
            smk.output.cube,
            standard_attrs(
                f"WTM cube of run {p['run_id']}",
                "wtm",
                p["spec"],
                run_id=p["run_id"],
                run_name=p["name"],
            ),
            train_per_pattern=options.train_per_pattern,
        )


@stage
def noise_eval(smk):
    import torch

    from ..specs import from_params
    from ..store.cube import standard_attrs
    from .data import load
    from .evaluate import evaluate
    from .specs import TrainSpec

    p = smk.params.spec
    train = from_params(TrainSpec, p["spec"]["run"]["train"])
    test_sets = [(spec.sigma, arrays) for arrays, spec in map(load, smk.input.test_data)]
    attrs = standard_attrs(
        f"WTM noise generalisation of run {p['run_id']}",
        "wtm",
        p["spec"],
        run_id=p["run_id"],
        sigma_train=p["sigma_train"],
        seed=p["seed"],
    )
    with torch.no_grad():
        evaluate(smk.input.checkpoints, test_sets, train.activation, smk.output.cube, attrs)


@stage(torch=False)
def figure(smk):
    from ..plotting import apply_style
    from ..specs import from_params
    from ..store.cube import open_cube
    from . import figures
    from .figure_specs import FIGURES

    apply_style()
    name = smk.wildcards.fig
    inputs = {
        role: open_cube(path) if isinstance(path, str) else [open_cube(p) for p in path]
        for role, path in smk.input.items()
    }
    options = from_params(FIGURES[name], smk.params.options)
    getattr(figures, name)(inputs, options, smk.output[0])
