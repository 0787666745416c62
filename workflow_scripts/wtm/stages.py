"""Adapters of the wtm rules: read the job's files and params, call one library function.

Set-up (logging, threads, device) happens in ``workflow_scripts/run.py``. Library
modules are imported inside each adapter, so that each stage's code digest covers its
own code only (``workflow_scripts.entry``).
"""

from ..entry import stage


@stage(torch=False)
def data(smk):
    from .data import generate, save
    from .specs import PatternSpec

    spec = PatternSpec(**smk.params.spec)
    save(smk.output[0], generate(spec, smk.wildcards.split), spec)


@stage
def train(smk, device):
    import logging

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
        TrainSpec(**smk.params.spec),
        smk.output.checkpoints,
        device,
        code=smk.params.code,
    )


@stage
def extract(smk):
    import torch

    from ..store.cube import standard_attrs
    from .data import load
    from .extract import extract

    p = smk.params.spec
    train_arrays, _ = load(smk.input.train_data)
    test_arrays, _ = load(smk.input.test_data)
    with torch.no_grad():
        extract(
            smk.input.checkpoints,
            train_arrays,
            test_arrays,
            p["activation"],
            p["neurons"],
            smk.output.cube,
            standard_attrs(
                f"WTM cube of run {p['run_id']}",
                "wtm",
                p["config"],
                run_id=p["run_id"],
                run_name=p["name"],
            ),
            train_per_pattern=p["train_per_pattern"],
        )


@stage
def noise_eval(smk):
    import torch

    from ..store.cube import standard_attrs
    from .data import load
    from .evaluate import evaluate

    p = smk.params.spec
    test_sets = [(spec.sigma, arrays) for arrays, spec in map(load, smk.input.test_data)]
    attrs = standard_attrs(
        f"WTM noise generalisation of run {p['run_id']}",
        "wtm",
        p["config"],
        run_id=p["run_id"],
        sigma_train=p["sigma_train"],
        seed=p["seed"],
    )
    with torch.no_grad():
        evaluate(smk.input.checkpoints, test_sets, p["activation"], smk.output.cube, attrs)


@stage(torch=False)
def figure(smk):
    from ..plotting import apply_style
    from ..store.cube import open_cube
    from . import figures

    apply_style()
    name, opts = smk.wildcards.fig, smk.params.options
    if name == "noise_generalization":
        figures.noise_generalization([open_cube(p) for p in smk.input.evals], opts, smk.output[0])
    else:
        cubes = {
            key: open_cube(path) if isinstance(path, str) else [open_cube(p) for p in path]
            for key, path in smk.input.items()
        }
        figures.FIGURES[name](cubes, opts, smk.output[0])
