"""The warm server that forks local jobs (workflow_scripts/zygote.py): a job run through
it reports its status, output and failure as its own process would, and dies with it."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from workflow_scripts import zygote

JOBS = '''
import os, sys, time

def record(smk):
    """Write where the job ran and what it was given."""
    with open(smk["out"], "w") as f:
        f.write(f"{os.getpid()} {os.getcwd()} {os.environ.get('ZYGOTE_TEST_VALUE')}")
    print("job says hello")

def fail(smk):
    raise ValueError("the job's own error")

def exit_three(smk):
    sys.exit(3)

def sleep(smk):
    with open(smk["out"], "w") as f:
        f.write(str(os.getpid()))
    time.sleep(120)
'''


@pytest.fixture
def jobs(tmp_path, monkeypatch):
    """A module of job functions on a sys.path of this test's own (so its own server)."""
    package = tmp_path / "jobs_pkg"
    package.mkdir()
    (package / "zygote_test_jobs.py").write_text(JOBS)
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.setenv("ZYGOTE_TEST_VALUE", "from the job's environment")
    yield "zygote_test_jobs"
    # the servers this test started have the package's path on their command line
    out = subprocess.run(["pgrep", "-f", str(package)], capture_output=True, text=True)
    for pid in out.stdout.split():
        os.kill(int(pid), signal.SIGTERM)


def test_a_job_runs_in_a_forked_child_with_the_callers_directory_and_environment(
    jobs, tmp_path, monkeypatch, capfd
):
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    out = tmp_path / "record.txt"
    assert zygote.run_job({"out": str(out)}, job=f"{jobs}:record") == 0
    pid, cwd, value = out.read_text().split(" ", 2)
    assert int(pid) != os.getpid()
    assert cwd == str(workdir)
    assert value == "from the job's environment"
    assert "job says hello" in capfd.readouterr().out  # the caller's stdout
    # the server stays warm: a second job is forked from it too, as a new process
    assert zygote.run_job({"out": str(out)}, job=f"{jobs}:record") == 0
    assert int(out.read_text().split()[0]) not in (pid, os.getpid())


def test_a_failing_job_returns_its_status_and_traceback(jobs, capfd):
    assert zygote.run_job({}, job=f"{jobs}:fail") == 1
    err = capfd.readouterr().err
    assert "Traceback" in err and "ValueError: the job's own error" in err
    assert zygote.run_job({}, job=f"{jobs}:exit_three") == 3


def _sleeping_job(jobs, out):
    """A job's process (its own interpreter) whose forked job sleeps: (process, job pid)."""
    client = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                sys.path[:0] = {sys.path!r}
                from workflow_scripts import zygote
                sys.exit(zygote.run_job({{"out": {str(out)!r}}}, job="{jobs}:sleep"))
                """
            ),
        ]
    )
    deadline = time.monotonic() + 60
    while not (out.exists() and out.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return client, int(out.read_text())


def test_killing_the_jobs_process_kills_the_forked_job(jobs, tmp_path):
    client, child = _sleeping_job(jobs, tmp_path / "pid.txt")
    os.kill(client.pid, signal.SIGKILL)  # no chance to forward anything
    client.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the forked job outlived the job's process"


def test_sigterm_to_the_jobs_process_reaches_the_forked_job(jobs, tmp_path):
    client, child = _sleeping_job(jobs, tmp_path / "pid.txt")
    client.send_signal(signal.SIGTERM)
    assert client.wait(timeout=10) == 1  # the job ended without a status of its own
    assert not _alive(child)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped) counts as gone
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, True),
        ({"TRAINSCOPE_ZYGOTE": "0"}, False),
        ({"TRAINSCOPE_ZYGOTE": "off"}, False),
        ({"SLURM_JOB_ID": "42"}, False),
    ],
)
def test_on_for_local_runs_only(environ, expected, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    assert zygote.enabled(environ) is expected


def test_off_where_forking_is_unsafe(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert not zygote.enabled({})


def test_a_server_that_cannot_start_leaves_the_job_to_its_own_process(tmp_path, monkeypatch):
    broken = tmp_path / "broken_server.py"
    broken.write_text("raise SystemExit(1)\n")
    monkeypatch.setattr(zygote, "SERVER", broken)
    monkeypatch.syspath_prepend(str(tmp_path))  # a key of its own
    start = time.monotonic()
    assert zygote.run_job({}, job="os:getpid") is None
    assert time.monotonic() - start < zygote.START_TIMEOUT_S / 2
