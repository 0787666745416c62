import json

import pytest
import torch

from workflow_scripts.race import schedule
from workflow_scripts.race import stacked as S
from workflow_scripts.race import train as T
from workflow_scripts.race.reference import plain_sgd_run as plain_loop
from workflow_scripts.store.checkpoints import load_checkpoint


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


@pytest.mark.parametrize("method", ["direct", "lowrank"])
def test_stacked_runs_equal_plain_loop(tiny, method, torch_one_thread):
    runs = [S.RunSpec(seed=s, sigma0=sg) for s, sg in [(1, 1e-3), (2, 1e-1), (3, 1e-5)]]
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
            {k: r[k][-1] for k in S.WEIGHTS},
            plain_loop(tiny, run.seed, run.sigma0, 16, steps, lr=0.05),
        )
        assert_close(
            {k: r[k][1] for k in S.WEIGHTS}, plain_loop(tiny, run.seed, run.sigma0, 16, 7, lr=0.05)
        )
        init = S.init_weights(run.seed, run.sigma0, 16, 64)
        assert torch.equal(r["W1"][0], init["W1"]) and torch.equal(r["b2"][0], init["b2"])
    # the medium-init run learns the task, loss is recorded at every dump
    assert res[1]["train_loss"][-1] < 0.2 and res[1]["test_accuracy"][-1] > 0.9


def test_masked_runs_equal_plain_loop_and_stay_pruned(tiny, torch_one_thread):
    g = torch.Generator().manual_seed(5)
    m1 = torch.rand(16, 64, generator=g) > 0.5
    m2 = torch.rand(2, 16, generator=g) > 0.3
    init = S.init_weights(9, 0.1, 16, 64)
    runs = [
        S.RunSpec(seed=9, sigma0=0.1, init=init, mask_W1=m1, mask_W2=m2),
        S.RunSpec(seed=4, sigma0=0.1),
    ]
    res = T.train_runs(tiny, runs, hidden=16, total_steps=120, ckpt_steps=[0, 120], lr=0.05)
    ref = plain_loop(tiny, 9, 0.1, 16, 120, lr=0.05, masks=(m1.float(), m2.float()), init=init)
    assert_close({k: res[0][k][-1] for k in S.WEIGHTS}, ref)
    assert torch.all(res[0]["W1"][:, ~m1] == 0) and torch.all(res[0]["W2"][:, ~m2] == 0)
    assert torch.equal(res[0]["mask_W1"], m1) and res[0]["mask_W1"].dtype == torch.bool
    assert torch.all(res[1]["mask_W1"])  # unmasked run in a masked stack
    assert_close({k: res[1][k][-1] for k in S.WEIGHTS}, plain_loop(tiny, 4, 0.1, 16, 120, lr=0.05))
    with pytest.raises(ValueError, match="direct"):
        S.BatchedRuns(tiny, runs, hidden=16, method="lowrank")


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
    a = S.init_weights(3, 1e-3, 300)
    assert torch.equal(a["W1"], S.init_weights(3, 1e-3, 300)["W1"])
    assert abs(float(a["W1"].std()) - 1e-3) < 2e-5
    assert torch.all(a["b1"] == 0) and torch.all(a["b2"] == 0) and a["W2"].shape == (2, 300)
    assert not torch.equal(a["W1"], S.init_weights(4, 1e-3, 300)["W1"])


class Crash(RuntimeError):
    pass


@pytest.mark.parametrize("method", ["lowrank", "direct"])
def test_resume_after_crash_is_bit_identical(tmp_path, tiny, method, torch_one_thread, caplog):
    runs = [
        S.RunSpec(seed=1, sigma0=1e-2, meta={"label": "a"}),
        S.RunSpec(seed=2, sigma0=1e-3, meta={"label": "b"}),
    ]
    kw = dict(
        hidden=16,
        total_steps=250,
        ckpt_steps=[0, 5, 50, 130, 250],
        lr=0.05,
        resume_every=40,
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
    assert sorted(p.name for p in partial.glob("state-*.pt")) == ["state-000000144.pt"]

    resumed_from = []
    with caplog.at_level("INFO", logger="workflow_scripts"):
        outs = T.train_runs(
            tiny, runs, out=out, names=["a", "b"], on_boundary=resumed_from.append, **kw
        )
    assert "resumed 2 run(s) at step 144" in caplog.text  # in the rule's log, not on stdout
    assert resumed_from[0] > 144  # did not start again from step 0
    for a, b in zip(full, outs):
        ra, rb = load_checkpoint(a), load_checkpoint(b)
        for k in ["steps", *S.WEIGHTS, "train_loss", "test_accuracy"]:
            assert torch.equal(ra[k], rb[k]), k
        ma, mb = json.loads(ra["meta"]), json.loads(rb["meta"])
        ma.pop("stack_seconds"), mb.pop("stack_seconds")
        assert ma == mb
    assert not partial.exists()


def test_changed_settings_discard_partial_state(tmp_path, tiny):
    runs = [S.RunSpec(seed=1, sigma0=1e-2)]
    out = tmp_path / "r.pt"
    kw = dict(hidden=16, total_steps=100, ckpt_steps=[0, 100], lr=0.05, resume_every=16, window=16)

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
        [S.RunSpec(seed=0, sigma0=1e-3, meta={"N": 40})],
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


def test_out_dir_mode_resumes_and_appears_atomically(tmp_path, tiny):
    runs = [S.RunSpec(seed=1, sigma0=1e-2), S.RunSpec(seed=2, sigma0=1e-3)]
    kw = dict(
        hidden=16,
        total_steps=120,
        ckpt_steps=[0, 60, 120],
        lr=0.05,
        resume_every=32,
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
    assert not out.exists() and (tmp_path / "stack.partial" / "run-a").is_dir()
    paths = T.train_runs(tiny, runs, out=out, **kw)
    assert sorted(p.name for p in out.iterdir()) == ["run-a.pt", "run-b.pt"]
    assert not (tmp_path / "stack.partial").exists()
    for p, r in zip(paths, ref):
        got = load_checkpoint(p)
        for k in S.WEIGHTS:
            assert torch.equal(got[k], r[k]), k
