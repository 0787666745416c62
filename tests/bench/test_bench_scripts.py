"""Every bench script still imports what it measures (refactors move functions around; a
bench that fails to import is found here, not when someone wants the numbers)."""

import subprocess
import sys

from workflow_scripts.study import REPO

BENCH = REPO / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py"))

LOADER = """
import importlib.util, sys
sys.path.insert(0, {bench!r})
for name in {names!r}:
    spec = importlib.util.spec_from_file_location(name[:-3], {bench!r} + "/" + name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # the scripts run only under __main__
    print("imported", name)
"""


def test_every_bench_script_imports():
    code = LOADER.format(bench=str(BENCH), names=SCRIPTS)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("imported") == len(SCRIPTS) >= 10
