"""Small wtm runs trained and extracted in a test's directory (seconds on one thread)."""

import torch

from workflow_scripts.specs import params
from workflow_scripts.store.cube import open_cube, standard_attrs
from workflow_scripts.wtm import data
from workflow_scripts.wtm.evaluate import evaluate
from workflow_scripts.wtm.extract import extract
from workflow_scripts.wtm.specs import DataSpec, TrainSpec
from workflow_scripts.wtm.train import train_run


def data_spec(sigma=0.3, **kw):
    base = dict(
        n_features=60,
        n_patterns=6,
        active_per_pattern=5,
        overlapping_masks=False,
        train_per_pattern=20,
        test_per_pattern=10,
        pattern_seed=1,
        sigma=sigma,
    )
    return DataSpec(**{**base, **kw})


def train_spec(**kw):
    base = dict(
        hidden=16,
        activation="relu",
        optimizer="layca",
        lr=0.05,
        momentum=0.0,
        batch_size=0,
        max_epochs=30,
        target_train_accuracy=1.1,
        early_stop=True,
        seed=3,
        checkpoint_dense_until=4,
        checkpoint_every=10,
    )
    return TrainSpec(**{**base, **kw})


def train(directory, spec, sigma=0.3, **run_kw):
    """Train ``spec`` on the small data set at ``sigma``: (checkpoint dir, history)."""
    arrays = data.generate(data_spec(sigma), "train")
    out = directory / f"run-{spec.seed}-{spec.hidden}-{spec.activation}-{sigma:g}"
    history = train_run(
        arrays["x"], arrays["y"], spec, out, torch.device("cpu"), show_progress=False, **run_kw
    )
    return out, history


def cube(directory, name, sigma=0.3, neurons=0, **train_kw):
    """The cube of a named run (trained at ``sigma``, tested at 0.3), opened."""
    spec = train_spec(**train_kw)
    ckpt, _ = train(directory, spec, sigma)
    train_set, test_set = (
        data.generate(data_spec(sigma), "train"),
        data.generate(data_spec(), "test"),
    )
    config = {"run": {"data": params(data_spec(sigma)), "train": params(spec)}}
    out = ckpt.with_suffix(".nc")
    with torch.no_grad():
        extract(
            ckpt,
            train_set,
            test_set,
            spec.activation,
            neurons,
            out,
            standard_attrs("test", "wtm", config, run_name=name),
            show_progress=False,
        )
    return open_cube(out)


def noise_eval(directory, sigma_train, seed, sigma_tests):
    """The noise evaluation of a run trained at ``sigma_train``, opened."""
    spec = train_spec(seed=seed)
    ckpt, _ = train(directory, spec, sigma_train)
    tests = [(s, data.generate(data_spec(s), "test")) for s in sigma_tests]
    out = directory / f"eval-{sigma_train:g}-{seed}.nc"
    attrs = standard_attrs("test", "wtm", {}, sigma_train=sigma_train, seed=seed)
    with torch.no_grad():
        evaluate(ckpt, tests, spec.activation, out, attrs)
    return open_cube(out)
