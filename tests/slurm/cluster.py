"""Start and stop a real single-node SLURM cluster on localhost, for tests.

Everything the cluster writes (munge key and socket, slurm.conf, gres.conf, state,
spool, logs, PID files) lives in one scratch directory; nothing under /etc or /run is
touched, and no system daemon is reused or stopped. The daemons (munged, slurmctld,
slurmd) all run as root with private ports, so two clusters (two test sessions) can run
side by side. Clients find the cluster through ``SLURM_CONF``: use :meth:`env` for
every subprocess that calls sbatch/squeue/scontrol (Snakemake included; SLURM jobs
inherit it through ``--export=ALL``).

The node has one fake GPU (``gres.conf`` with ``File=/dev/null``), so jobs asking for
``--gpus=1`` or ``--gres=gpu:1`` are scheduled and see ``CUDA_VISIBLE_DEVICES=0``.

Usage::

    with LocalSlurm(scratch) as cluster:
        subprocess.run(["sbatch", ...], env=cluster.env())

:class:`SlurmUnavailable` is raised when the binaries are missing or the daemons
cannot start (the message says why, with the tail of the daemon logs).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REQUIRED_BINARIES = (
    "munged",
    "munge",
    "unmunge",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "squeue",
    "sinfo",
    "scontrol",
    "scancel",
)
# Debian puts the daemons in /usr/sbin, which a non-login PATH may lack.
SBIN_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin")

# Kept well above 3x the profile's slurm-init-seconds-before-status-checks, so that
# `squeue` still sees finished jobs when Snakemake polls (see profiles/slurm).
MIN_JOB_AGE = 300


class SlurmUnavailable(RuntimeError):
    """SLURM cannot be used here (binaries missing or daemons fail to start)."""


def find_binary(name: str) -> str | None:
    path = shutil.which(name)
    if path:
        return path
    for d in SBIN_DIRS:
        cand = Path(d) / name
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def missing_binaries() -> list[str]:
    return [b for b in REQUIRED_BINARIES if find_binary(b) is None]


def _free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def _real_memory_mb() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                kb = int(line.split()[1])
                # slurmd drains a node that claims more memory than it has;
                # claim 80% of it, leaving room for the OS and the test itself.
                return max(512, int(kb / 1024 * 0.8))
    return 1024


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists"; treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"({path.name}: no log)"
    return f"--- {path.name} (last {n} lines) ---\n" + "\n".join(lines[-n:])


class LocalSlurm:
    """A single-node SLURM cluster on 127.0.0.1 with one fake GPU.

    ``scratch``: directory for all cluster files (created; it and its parents must
    be traversable by everyone, munged insists on it for its socket). When None, a
    fresh ``/tmp/trainscope-slurm-*`` directory is made and removed on stop.
    """

    def __init__(
        self,
        scratch: str | os.PathLike | None = None,
        *,
        cpus: int | None = None,
        gpus: int = 1,
        partition: str = "debug",
        start_timeout: float = 30.0,
    ):
        self._own_scratch = scratch is None
        self.scratch = Path(scratch) if scratch is not None else None
        self.cpus = cpus or os.cpu_count() or 1
        self.gpus = gpus
        self.partition = partition
        self.start_timeout = start_timeout
        self.nodename = socket.gethostname().split(".")[0]
        self.memory_mb = _real_memory_mb()
        self._pidfiles: dict[str, Path] = {}
        self._pids: dict[str, int] = {}
        self.started = False

    # ------------------------------------------------------------------ paths
    @property
    def conf(self) -> Path:
        return self.scratch / "etc" / "slurm.conf"

    @property
    def munge_socket(self) -> Path:
        return self.scratch / "munge" / "munge.socket"

    @property
    def bindir(self) -> Path:
        return self.scratch / "bin"

    def env(self, base: dict | None = None) -> dict:
        """An environment whose SLURM clients talk to this cluster.

        Sets ``SLURM_CONF`` and puts :attr:`bindir` first on PATH: it holds an
        ``srun`` wrapper that sets ``SLURM_CONF`` again, because the Snakemake job
        step inside each SLURM job drops every ``SLURM_*`` variable but a few before
        it calls ``srun`` (a real cluster keeps its slurm.conf at the default path
        /etc/slurm/slurm.conf or runs configless, so there it needs no variable).
        """
        env = dict(os.environ if base is None else base)
        env["SLURM_CONF"] = str(self.conf)
        path = env.get("PATH", "")
        if self.scratch is not None:
            path = str(self.bindir) + (os.pathsep + path if path else "")
        for d in SBIN_DIRS:
            if d not in path.split(os.pathsep):
                path = path + os.pathsep + d if path else d
        env["PATH"] = path
        # A test run from inside a SLURM job must not leak that job's settings.
        for k in list(env):
            if k.startswith("SLURM_") and k != "SLURM_CONF":
                del env[k]
        return env

    def run(
        self,
        *args: str,
        check: bool = False,
        timeout: float = 30,
    ) -> subprocess.CompletedProcess:
        """Run a SLURM client command (e.g. ``run("squeue", "-h")``) on this cluster."""
        exe = find_binary(args[0]) or args[0]
        return subprocess.run(
            [exe, *args[1:]],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    # ------------------------------------------------------------- lifecycle
    def __enter__(self) -> LocalSlurm:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        missing = missing_binaries()
        if missing:
            raise SlurmUnavailable(
                "SLURM/munge binaries not found: "
                + ", ".join(missing)
                + " (install them with tests/slurm/install_slurm.sh, as root on Debian)"
            )
        if os.geteuid() != 0:
            raise SlurmUnavailable(
                f"starting slurmd/slurmctld/munged needs root (running as uid {os.geteuid()})"
            )
        if self._own_scratch:
            self.scratch = Path(tempfile.mkdtemp(prefix="trainscope-slurm-"))
        self.scratch.mkdir(parents=True, exist_ok=True)
        # munged refuses a socket whose directory path is not world-executable.
        os.chmod(self.scratch, 0o755)
        try:
            self._write_config()
            self._start_munged()
            self._start_slurm()
            self._wait_idle()
        except SlurmUnavailable:
            self.stop()
            raise
        except Exception as e:
            logs = self.log_tails()
            self.stop()
            raise SlurmUnavailable(f"the local SLURM cluster did not come up: {e!r}\n{logs}") from e
        except BaseException:
            self.stop()
            raise
        self.started = True

    def _write_config(self) -> None:
        s = self.scratch
        for sub in ("etc", "munge", "state", "spool", "log", "run"):
            (s / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(s / "munge", 0o755)
        key = s / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o600)
        ctld_port, slurmd_port = _free_ports(2)
        self.ctld_port, self.slurmd_port = ctld_port, slurmd_port
        node = self.nodename
        gres = f" Gres=gpu:{self.gpus}" if self.gpus else ""
        conf = f"""\
# Written by tests/slurm/cluster.py: a throwaway single-node cluster for tests.
ClusterName=trainscope-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={s / "state"}
SlurmdSpoolDir={s / "spool"}/slurmd-%n
SlurmctldPidFile={s / "run" / "slurmctld.pid"}
SlurmdPidFile={s / "run" / "slurmd.pid"}
SlurmctldLogFile={s / "log" / "slurmctld.log"}
SlurmdLogFile={s / "log" / "slurmd.log"}
SlurmctldDebug=info
SlurmdDebug=info
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
MinJobAge={MIN_JOB_AGE}
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=60
SchedulerType=sched/backfill
GresTypes=gpu
NodeName={node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb}{gres} State=UNKNOWN
PartitionName={self.partition} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""
        self.conf.write_text(conf)
        gres_conf = ""
        if self.gpus:
            # File=/dev/null: a fake device; without File= the node is drained.
            gres_conf = f"NodeName={node} Name=gpu File=/dev/null Count={self.gpus}\n"
        (self.conf.parent / "gres.conf").write_text(gres_conf)
        (self.conf.parent / "cgroup.conf").write_text("")
        self.bindir.mkdir(exist_ok=True)
        srun = self.bindir / "srun"
        srun.write_text(f"""#!/bin/sh
# Written by tests/slurm/cluster.py (see LocalSlurm.env): find the test cluster.
SLURM_CONF='{self.conf}'
export SLURM_CONF
exec '{find_binary("srun")}' "$@"
""")
        os.chmod(srun, 0o755)

    def _spawn(self, name: str, argv: list[str], pidfile: Path) -> None:
        """Start a self-daemonising program and record the PID it writes."""
        self._pidfiles[name] = pidfile
        proc = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise SlurmUnavailable(
                f"{name} failed to start (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()}\n{self.log_tails()}"
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                pid = None
            if pid and _pid_alive(pid):
                self._pids[name] = pid
                return
            time.sleep(0.1)
        raise SlurmUnavailable(f"{name} wrote no PID file {pidfile}\n{self.log_tails()}")

    def _start_munged(self) -> None:
        m = self.scratch / "munge"
        self._spawn(
            "munged",
            [
                find_binary("munged"),
                "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={m / 'munge.key'}",
                f"--pid-file={m / 'munged.pid'}",
                f"--log-file={self.scratch / 'log' / 'munged.log'}",
                f"--seed-file={m / 'munged.seed'}",
            ],
            m / "munged.pid",
        )
        probe = subprocess.run(
            f"{find_binary('munge')} -n -S {self.munge_socket} | "
            f"{find_binary('unmunge')} -S {self.munge_socket}",
            shell=True,
            capture_output=True,
            text=True,
            timeout=10,
        )
        if probe.returncode != 0:
            raise SlurmUnavailable(f"munge does not work: {probe.stderr.strip()}")

    def _start_slurm(self) -> None:
        run = self.scratch / "run"
        # -i: ignore saved state (there is none); -c: clear jobs from a previous run.
        self._spawn(
            "slurmctld",
            [find_binary("slurmctld"), "-f", str(self.conf), "-c", "-i"],
            run / "slurmctld.pid",
        )
        self._spawn(
            "slurmd",
            [find_binary("slurmd"), "-f", str(self.conf), "-N", self.nodename],
            run / "slurmd.pid",
        )

    def _wait_idle(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last = ""
        while time.monotonic() < deadline:
            for name, pid in self._pids.items():
                if not _pid_alive(pid):
                    raise SlurmUnavailable(f"{name} (pid {pid}) died\n{self.log_tails()}")
            try:
                p = self.run("sinfo", "-h", "-N", "-o", "%T", timeout=10)
                last = (p.stdout + p.stderr).strip()
                if (
                    p.returncode == 0
                    and last.splitlines()
                    and all(st.strip().rstrip("*~#") == "idle" for st in last.splitlines())
                ):
                    return
                if any(w in last for w in ("drain", "down")) and "idle" not in last:
                    reason = self.run("sinfo", "-h", "-R").stdout.strip()
                    if reason:
                        last += f" ({reason})"
            except subprocess.TimeoutExpired:
                last = "sinfo timed out"
            time.sleep(0.3)
        raise SlurmUnavailable(
            f"node not idle after {self.start_timeout:.0f}s (sinfo: {last!r})\n" + self.log_tails()
        )

    def log_tails(self) -> str:
        if self.scratch is None:
            return ""
        log = self.scratch / "log"
        return "\n".join(_tail(log / n) for n in ("munged.log", "slurmctld.log", "slurmd.log"))

    def stop(self, *, keep_scratch: bool = False) -> None:
        """Cancel all jobs, stop the daemons this object started, remove scratch.

        Safe to call twice and after a failed start. Only PIDs this object started
        (read from the PID files it configured) are signalled.
        """
        if self._pids.get("slurmctld") and _pid_alive(self._pids["slurmctld"]):
            try:
                ids = self.run("squeue", "-h", "-o", "%i", timeout=10).stdout.split()
                if ids:
                    self.run("scancel", *ids, timeout=10)
                # scancel is asynchronous; give slurmd a moment to end the steps.
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    q = self.run(
                        "squeue", "-h", "-t", "RUNNING,COMPLETING,PENDING", "-o", "%i", timeout=10
                    )
                    if q.returncode != 0 or not q.stdout.strip():
                        break
                    time.sleep(0.3)
            except (subprocess.TimeoutExpired, OSError):
                pass
        # Record pids from pid files too (a daemon may have started but its pid not
        # been read yet when start failed).
        for name, pf in self._pidfiles.items():
            if name not in self._pids:
                try:
                    self._pids[name] = int(pf.read_text().strip())
                except (OSError, ValueError):
                    pass
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self._pids.pop(name, None)
            if pid is None:
                continue
            self._terminate(pid)
        self._pidfiles.clear()
        self.started = False
        if self._own_scratch and self.scratch is not None and not keep_scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)

    @staticmethod
    def _terminate(pid: int, grace: float = 10.0) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return
            time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
