import json

import pytest
import torch

from workflow_scripts.race import runs as R
from workflow_scripts.race import schedule
from workflow_scripts.race import stacked as S
from workflow_scripts.race import train as T
from workflow_scripts.race.dumps import WEIGHTS, load_run
from workflow_scripts.store.checkpoints import checkpoint_steps, load_checkpoint

from .reference import plain_sgd_run as plain_loop


@pytest.fixture
def tiny():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 64, generator=g)
    y = (x[:, :8].sum(1) > x[:, 8:16].sum(1)).long()
    return {"x_train": x, "y_train": y, "x_test": x[:20], "y_test": y[:20]}


def assert_close(got, ref):
    for k, v in ref.items():
        tol = 1e-5 * max(1.0, float(v.abs().max()))
        assert (got[k] - v).abs().max() <= tol, k


@pytest.mark.parametrize("method", ["direct", "lowrank", "dual"])
def test_stacked_runs_equal_plain_loop(tiny, method, one_thread):
    runs = [R.RunSpec(seed=s, sigma0=sg) for s, sg in [(1, 1e-3), (2, 1e-1), (3, 1e-5)]]
    steps = 300  # 30 epochs of 10 batches, windows of 16 cut by epoch ends
    res = T.train_runs(
        tiny,
        runs,
        hidden=16,
        total_steps=steps,
        ckpt_steps=[0, 7, steps],
        lr=0.05,
        method=method,
        window=16,
    )
    for r, run in zip(res, runs):
        assert r["steps"].tolist() == [0, 7, steps]
        assert_close(
            {k: r[k][-1] for k in WEIGHTS},
            plain_loop(tiny, run.seed, run.sigma0, 16, steps, lr=0.05),
        )
        assert_close(
            {k: r[k][1] for k in WEIGHTS}, plain_loop(tiny, run.seed, run.sigma0, 16, 7, lr=0.05)
        )
        init = R.init_weights(run.seed, run.sigma0, 16, 64)
        assert torch.equal(r["W1"][0], init["W1"]) and torch.equal(r["b2"][0], init["b2"])
    # the medium-init run learns the task, loss is recorded at every dump
    assert res[1]["train_loss"][-1] < 0.2 and res[1]["test_accuracy"][-1] > 0.9


def test_masked_runs_equal_plain_loop_and_stay_pruned(tiny, one_thread):
    g = torch.Generator().manual_seed(5)
    m1 = torch.rand(16, 64, generator=g) > 0.5
    m2 = torch.rand(2, 16, generator=g) > 0.3
    init = R.init_weights(9, 0.1, 16, 64)
    runs = [
        R.RunSpec(seed=9, sigma0=0.1, init=init, mask_W1=m1, mask_W2=m2),
        R.RunSpec(seed=4, sigma0=0.1),
    ]
    res = T.train_runs(tiny, runs, hidden=16, total_steps=120, ckpt_steps=[0, 120], lr=0.05)
    ref = plain_loop(tiny, 9, 0.1, 16, 120, lr=0.05, masks=(m1.float(), m2.float()), init=init)
    assert_close({k: res[0][k][-1] for k in WEIGHTS}, ref)
    assert torch.all(res[0]["W1"][:, ~m1] == 0) and torch.all(res[0]["W2"][:, ~m2] == 0)
    assert torch.equal(res[0]["mask_W1"], m1) and res[0]["mask_W1"].dtype == torch.bool
    assert torch.all(res[1]["mask_W1"])  # unmasked run in a masked stack
    assert_close({k: res[1][k][-1] for k in WEIGHTS}, plain_loop(tiny, 4, 0.1, 16, 120, lr=0.05))
    for method in ("lowrank", "dual"):
        with pytest.raises(ValueError, match="direct"):
            S.BatchedRuns(tiny, runs, hidden=16, method=method)


def test_checkpoint_steps_schedule():
    s = schedule.checkpoint_steps(10000, dense_until=200, dense_every=10, n_log=30)
    assert s[0] == 0 and s[-1] == 10000 and s == sorted(set(s))
    assert s[:21] == list(range(0, 201, 10))
    later = [x for x in s if x > 200]
    assert 20 <= len(later) <= 30
    ratios = [b / a for a, b in zip(later, later[1:])]
    assert max(ratios) < 1.3  # log-spaced
    assert schedule.checkpoint_steps(10000, 200, 10, 30) == s  # deterministic
    assert schedule.checkpoint_steps(50, dense_until=200, dense_every=10, n_log=5) == [
        0,
        10,
        20,
        30,
        40,
        50,
    ]
    assert schedule.checkpoint_steps(7, 0, 1, 0) == [0, 7]


def test_total_steps_and_divisibility():
    assert schedule.resolve_total_steps(200, 4, epochs=3) == 150
    assert schedule.resolve_total_steps(200, 4, steps=17) == 17
    with pytest.raises(ValueError):
        schedule.resolve_total_steps(200, 4)
    with pytest.raises(ValueError, match="multiple"):
        schedule.steps_per_epoch(202, 4)


def test_init_is_seeded_gaussian():
    a = R.init_weights(3, 1e-3, 300)
    assert torch.equal(a["W1"], R.init_weights(3, 1e-3, 300)["W1"])
    assert abs(float(a["W1"].std()) - 1e-3) < 2e-5
    assert torch.all(a["b1"] == 0) and torch.all(a["b2"] == 0) and a["W2"].shape == (2, 300)
    assert not torch.equal(a["W1"], R.init_weights(4, 1e-3, 300)["W1"])


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("method", ["lowrank", "direct", "dual"])
def test_resume_after_crash_is_bit_identical(tmp_path, tiny, method, one_thread, caplog):
    runs = [
        R.RunSpec(seed=1, sigma0=1e-2, meta={"label": "a"}),
        R.RunSpec(seed=2, sigma0=1e-3, meta={"label": "b"}),
    ]
    kw = dict(
        hidden=16,
        total_steps=250,
        ckpt_steps=[0, 5, 50, 130, 250],
        lr=0.05,
        every_s=0,  # a resume state at every window cut
        window=16,
        method=method,
    )
    full = T.train_runs(tiny, runs, out=tmp_path / "full", names=["a", "b"], **kw)
    assert not (tmp_path / "full.partial").exists()

    out = tmp_path / "crash"
    seen = []

    def boom(step):
        seen.append(step)
        if step >= 150:
            raise Crash(step)

    with pytest.raises(Crash):
        T.train_runs(tiny, runs, out=out, names=["a", "b"], on_boundary=boom, **kw)
    partial = tmp_path / "crash.partial"
    assert not out.exists() and partial.is_dir()
    # the newest state only: the crash came after the cut at step 160
    assert sorted(p.name for p in partial.glob("state-*.pt")) == ["state-000000160.pt"]

    resumed_from = []
    with caplog.at_level("INFO", logger="workflow_scripts"):
        outs = T.train_runs(
            tiny, runs, out=out, names=["a", "b"], on_boundary=resumed_from.append, **kw
        )
    assert "resumed 2 run(s) at step 160" in caplog.text  # in the rule's log, not on stdout
    assert resumed_from[0] > 160  # did not start again from step 0
    for a, b in zip(full, outs):
        assert checkpoint_steps(a) == checkpoint_steps(b) == [0, 5, 50, 130, 250]
        ra, rb = load_run(a), load_run(b)
        for k in ["steps", *WEIGHTS, "train_loss", "test_accuracy"]:
            assert torch.equal(ra[k], rb[k]), k
        assert json.loads(ra["meta"]) == json.loads(rb["meta"])
    assert not partial.exists()


def test_changed_settings_discard_partial_state(tmp_path, tiny):
    runs = [R.RunSpec(seed=1, sigma0=1e-2)]
    out = tmp_path / "r.pt"
    kw = dict(hidden=16, total_steps=100, ckpt_steps=[0, 100], lr=0.05, every_s=0, window=16)

    def boom(step):
        if step >= 60:
            raise Crash(step)

    with pytest.raises(Crash):
        T.train_runs(tiny, runs, out=out, on_boundary=boom, **kw)
    steps = []
    T.train_runs(tiny, runs, out=out, on_boundary=steps.append, **{**kw, "lr": 0.01})
    assert steps[0] == 16  # started afresh
    fresh = T.train_runs(tiny, runs, **{**kw, "lr": 0.01})[0]
    assert torch.equal(load_checkpoint(out)["W1"], fresh["W1"])


def test_output_file_format(tmp_path, tiny):
    out = tmp_path / "x.pt"
    T.train_runs(
        tiny,
        [R.RunSpec(seed=0, sigma0=1e-3, meta={"N": 40})],
        hidden=8,
        total_steps=20,
        ckpt_steps=[0, 10, 20],
        out=out,
        data_meta={"source": "t"},
    )
    r = load_checkpoint(out)
    assert r["steps"].dtype == torch.int64 and r["W1"].shape == (3, 8, 64)
    assert r["b1"].shape == (3, 8) and r["W2"].shape == (3, 2, 8) and r["b2"].shape == (3, 2)
    assert r["W1"].dtype == torch.float32 and r["train_loss"].shape == (3,)
    assert r["test_accuracy"].dtype == torch.float32 and "mask_W1" not in r
    meta = json.loads(r["meta"])
    assert meta["N"] == 40 and meta["seed"] == 0 and meta["lr"] == 1e-3 and meta["batch_size"] == 4
    assert meta["data"] == {"source": "t"} and meta["checkpoint_steps"] == [0, 10, 20]


def test_stack_output_holds_one_checkpoint_series_per_run(tmp_path, tiny):
    """<out>/<name>/checkpoints/step_*.pt: weights, step, epoch, scores and the run's meta."""
    runs = [R.RunSpec(seed=1, sigma0=1e-2), R.RunSpec(seed=2, sigma0=1e-3)]
    kw = dict(hidden=16, total_steps=25, ckpt_steps=[0, 10, 25], lr=0.05, window=16)
    ref = T.train_runs(tiny, runs, **kw)
    paths = T.train_runs(tiny, runs, out=tmp_path / "stack", names=["run-a", "run-b"], **kw)
    assert paths == [tmp_path / "stack" / n / "checkpoints" for n in ("run-a", "run-b")]
    assert sorted(p.name for p in (tmp_path / "stack" / "run-a" / "checkpoints").iterdir()) == [
        "step_000000000.pt",
        "step_000000010.pt",
        "step_000000025.pt",
    ]
    for path, r in zip(paths, ref):
        c = load_checkpoint(path / "step_000000025.pt")
        assert c["step"] == 25 and c["epoch"] == pytest.approx(25 / 10)  # 40 samples, batch 4
        for k in WEIGHTS:
            assert torch.equal(c["model"][k], r[k][-1]), k
        assert c["train_loss"] == pytest.approx(float(r["train_loss"][-1]))
        assert c["test_accuracy"] == pytest.approx(float(r["test_accuracy"][-1]))
        assert c["meta"]["total_steps"] == 25 and c["meta"]["method"] == "dual"  # auto, N = 40
        assert torch.equal(load_run(path)["steps"], torch.tensor([0, 10, 25]))


def test_out_dir_mode_resumes_and_appears_atomically(tmp_path, tiny):
    runs = [R.RunSpec(seed=1, sigma0=1e-2), R.RunSpec(seed=2, sigma0=1e-3)]
    kw = dict(
        hidden=16,
        total_steps=120,
        ckpt_steps=[0, 60, 120],
        lr=0.05,
        every_s=0,
        window=16,
        names=["run-a", "run-b"],
    )
    ref = T.train_runs(tiny, runs, **{k: v for k, v in kw.items() if k != "names"})
    out = tmp_path / "stack"

    def boom(step):
        if step >= 80:
            raise Crash(step)

    with pytest.raises(Crash):
        T.train_runs(tiny, runs, out=out, on_boundary=boom, **kw)
    assert not out.exists() and (tmp_path / "stack.partial" / "run-a" / "checkpoints").is_dir()
    paths = T.train_runs(tiny, runs, out=out, **kw)
    assert sorted(p.name for p in out.iterdir()) == ["run-a", "run-b"]
    assert not (tmp_path / "stack.partial").exists()
    for p, r in zip(paths, ref):
        got = load_run(p)
        for k in WEIGHTS:
            assert torch.equal(got[k], r[k]), k


def test_the_window_changes_nothing_under_the_direct_method(tiny):
    """The plan hashes window 1 for direct runs (method.DIRECT_WINDOW): the same
    trajectory and the same save points as any other window."""
    runs = [R.RunSpec(seed=3, sigma0=1e-2)]
    kw = dict(hidden=16, total_steps=70, ckpt_steps=[0, 33, 70], lr=0.05, method="direct")
    cuts = {}
    out = {}
    for window in (1, 16):
        cuts[window] = []
        out[window] = T.train_runs(tiny, runs, window=window, on_boundary=cuts[window].append, **kw)
    for k in ["steps", *WEIGHTS, "train_loss"]:
        assert torch.equal(out[1][0][k], out[16][0][k]), k
    assert cuts[1] == cuts[16] == [32, 33, 64, 70]
    assert S.BatchedRuns(tiny, runs, hidden=16, method="direct", window=1).block == 32


def test_auto_takes_the_dual_form_for_small_training_sets():
    from workflow_scripts.race.method import DUAL_MAX_N, effective_method

    assert effective_method("auto", "cpu", n_train=200) == "dual"
    assert effective_method("auto", "cpu", n_train=DUAL_MAX_N + 4) == "lowrank"
    assert effective_method("auto", "cuda", n_train=200) == "direct"
    assert effective_method("auto", "cpu", masked=True, n_train=200) == "direct"
    g = torch.Generator().manual_seed(1)
    data = {"x_train": torch.rand(8, 5, generator=g), "y_train": torch.arange(8) % 2}
    data |= {"x_test": data["x_train"], "y_test": data["y_train"]}
    assert S.BatchedRuns(data, [R.RunSpec(seed=0, sigma0=1e-2)], hidden=3).method == "dual"
