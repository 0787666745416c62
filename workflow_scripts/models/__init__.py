"""Networks by name (a registry, as in open_lth): a new model is one module plus one line.

``build(name, **kwargs)`` imports the model's module on first use, so study plans can
check model names against ``NAMES`` without importing torch. A name of the form
``package.module:factory`` builds a user's own class or function (any callable returning
an ``nn.Module``), imported from the working directory, the repository or the Python path;
``factory_problem(name)`` checks such a name without importing it (plans run it before any
job: parsing the workflow imports no torch).
"""

import ast
import importlib
import importlib.util
import os
import sys
from pathlib import Path

# name -> "module:callable" (modules of this package, or torchvision's unmodified
# constructors)
REGISTRY = {
    "mlp": "workflow_scripts.models.mlp:MLP",
    "narrow_resnet18": "workflow_scripts.models.narrow_resnet:narrow_resnet18",
    "narrow_resnet34": "workflow_scripts.models.narrow_resnet:narrow_resnet34",
    "resnet18": "torchvision.models:resnet18",
    "resnet34": "torchvision.models:resnet34",
    "resnet50": "torchvision.models:resnet50",
}
NAMES = tuple(REGISTRY)
REPO = Path(__file__).resolve().parents[2]


def is_factory(name):
    """``package.module:factory`` (a user's model) rather than a registry name."""
    return ":" in name


def search_path():
    """Where a user's model module is looked for first: the working directory (Snakemake's
    ``-d``), then the repository (its ``examples/``), then ``sys.path``."""
    return [os.getcwd(), str(REPO)]


def _with_search_path():
    for entry in reversed(search_path()):
        if entry not in sys.path:
            sys.path.insert(0, entry)


def build(name, **kwargs):
    if is_factory(name):
        module, _, attr = name.partition(":")
        _with_search_path()
    else:
        try:
            target = REGISTRY[name]
        except KeyError:
            raise ValueError(f"unknown model {name!r}; known: {', '.join(NAMES)}") from None
        module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)(**kwargs)


def factory_problem(name):
    """Why ``name`` cannot be built (a message), or None. Registry names are checked
    against ``NAMES``; ``package.module:factory`` by finding the module's file and reading
    its top-level definitions (no import: the module may import torch)."""
    if not is_factory(name):
        if name in NAMES:
            return None
        return (
            f"unknown model {name!r}: neither a models registry name ({', '.join(NAMES)}) "
            "nor 'package.module:factory'"
        )
    module, _, attr = name.partition(":")
    if not module or not attr or not attr.isidentifier():
        return f"model {name!r}: write a user's model as 'package.module:factory'"
    _with_search_path()
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        spec, why = None, f"{type(exc).__name__}: {exc}"
    else:
        why = "no such module"
    if spec is None:
        return (
            f"model factory {name!r} cannot be imported: {why}; looked in "
            f"{', '.join(search_path())} and the Python path (put the module there, or "
            "add its folder to PYTHONPATH)"
        )
    origin = Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else None
    if origin is not None and attr not in _top_level_names(origin):
        return f"model factory {name!r}: {origin} defines no top-level {attr!r}"
    return None


def _top_level_names(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names
