"""Which function a rule runs, and the digest of exactly the code that function runs.

Convention: rule ``<package>_<stage>`` runs the adapter ``stage`` in
``workflow_scripts/<package>/stages.py`` (``<study>_train`` -> ``<study>.stages.train``,
``claims_table`` -> ``claims.stages.table``). An adapter is a small function
decorated with :func:`stage` that reads ``input/output/params/log/threads`` of the
Snakemake job explicitly and calls one library function with named arguments.
``workflow_scripts/run.py`` does the set-up once (logging, threads, denormals, device)
and calls it.

Code digests (why by hand: Snakemake tracks a rule's script, params and inputs, not
the modules the script imports, and no library computes the import closure of one
function without importing it): :func:`stage_code` hashes the adapter's own source
plus every module of this package it imports, transitively, read with ``ast`` (no
import, so parsing the workflow stays fast). Rules pass it as ``params: code=``, so
an edit reruns exactly the stages whose code changed: a figure module is never in a
training stage's closure. Adapters import their library modules inside the function
body for that reason; what ``stages.py`` imports at its top counts for every stage.
"""

import ast
import functools
import hashlib
import importlib
import inspect
from pathlib import Path

PACKAGE = "workflow_scripts"
PACKAGE_ROOT = Path(__file__).resolve().parent
# always part of a stage's code: the set-up every job goes through
SHARED_MODULES = ("workflow_scripts.runtime", "workflow_scripts.entry")


def stage(func=None, *, torch=True):
    """Mark an adapter. ``torch=False``: the job never touches torch (figures from cubes),
    so the set-up skips importing it. An adapter that takes a ``device`` argument gets the
    device chosen from ``params.device``."""

    def mark(f):
        f.trainscope_stage = {"torch": torch}
        return f

    return mark(func) if func is not None else mark


def split_rule(rule):
    package, sep, name = rule.partition("_")
    if not sep or not name:
        raise ValueError(f"rule {rule!r} does not follow '<package>_<stage>'")
    return package, name


def entry_point(rule):
    """The adapter of a rule (imports its stages module)."""
    package, name = split_rule(rule)
    module_name = f"{PACKAGE}.{package}.stages"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise LookupError(f"rule {rule}: no module {module_name} ({exc})") from None
    func = getattr(module, name, None)
    if func is None or not hasattr(func, "trainscope_stage"):
        raise LookupError(f"rule {rule}: {module_name} has no @stage function {name!r}")
    return func


# ---------------------------------------------------------------------------------
# code digests


def module_file(module):
    """Source file of a module of this package (None outside it or when absent)."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_ROOT.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(module, file):
    return module if file.name == "__init__.py" else module.rpartition(".")[0]


def _imported(nodes, module, file):
    """Modules named by the import statements among ``nodes`` (absolute names)."""
    package = _package_of(module, file)
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            names.append(target)
            # `from . import data`: data may be a submodule
            names += [f"{target}.{alias.name}" for alias in node.names]
    return [n for n in names if n.split(".")[0] == PACKAGE]


@functools.cache
def _parsed(file):
    text = file.read_text()
    return text, ast.parse(text, filename=str(file))


@functools.cache
def _file_imports(module, file):
    """Package modules imported anywhere in a file (top level or inside functions)."""
    nodes = [n for n in ast.walk(_parsed(file)[1]) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return tuple(_imported(nodes, module, file))


@functools.cache
def module_closure(module):
    """Files of ``module`` and of every package module it imports, transitively
    (parent packages' ``__init__`` included: importing a.b.c runs them)."""
    files, seen, todo = set(), set(), [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in seen:
                continue
            seen.add(prefix)
            file = module_file(prefix)
            if file is not None:
                files.add(file)
                todo += _file_imports(prefix, file)
    return frozenset(files)


def _digest(files, extra=""):
    h = hashlib.sha1(extra.encode())
    for file in sorted(files):
        h.update(str(file.relative_to(PACKAGE_ROOT)).encode())
        h.update(_parsed(file)[0].encode())
    return h.hexdigest()[:12]


@functools.cache
def stage_code(rule, *extra_modules):
    """Digest of the code rule ``rule`` runs (see module doc); ``extra_modules`` are
    modules the adapter imports by name at run time (e.g. a study's claims module)."""
    package, name = split_rule(rule)
    module = f"{PACKAGE}.{package}.stages"
    file = module_file(module)
    if file is None:
        raise LookupError(f"rule {rule}: no file for {module}")
    text, tree = _parsed(file)
    func = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if func is None:
        raise LookupError(f"rule {rule}: {file} defines no function {name!r}")
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    wanted = _imported(top_level + list(ast.walk(func)), module, file)
    wanted += [*SHARED_MODULES, *extra_modules]
    files = set().union(*(module_closure(m) for m in wanted))
    files.discard(file)  # only this adapter's own text counts, not its neighbours'
    return _digest(files, ast.get_source_segment(text, func))


def adapter_arguments(func):
    return set(inspect.signature(func).parameters)
