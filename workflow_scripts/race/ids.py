"""The race artifacts of a config, each with its resolved spec and id (pure; for the plan).

Ids are a readable label plus a hash of the resolved parameters (``store.ids.spec_id`` of
``specs.identity``):
- data sets: one per N (``DataSpec``);
- runs: one per (data set, d, sigma_0, seed, ``TrainSpec``); the train spec holds the
  effective method (``method``), so a CPU and a GPU build of ``method: auto`` differ;
- stacks: the training jobs. Runs that share (data set, d, train spec) are trained
  together in one process (batched matmuls); the stack id hashes its members, so adding
  a seed or sigma_0 to the grid changes the stack of that (N, d) and retrains it;
- IMP rounds: one set per (base run, target sparsity, pruning choices); round r depends on
  round r-1 (round 0 = the base run), so a new sparsity adds only its rounds;
- cubes: a dynamics and a similarity cube per run; stable cells per data set.
"""

from ..specs import from_params, identity, replace
from ..store.ids import spec_id
from .method import effective_method, effective_window
from .schedule import checkpoint_steps, resolve_total_steps
from .specs import DataSpec, ExtractOptions, ImpSpec, StableCellOptions, TrainSpec


def data_spec(config, n_train):
    d = config["race"]["data"]
    spec = DataSpec(
        source=d["source"],
        groups=tuple(tuple(int(c) for c in g) for g in d["groups"]),
        n_train=int(n_train),
        n_test=int(d["n_test"]),
        seed=int(d["seed"]),
        resize=d["resize"],
        preprocess=d["preprocess"],
        inputs=d["inputs"],
        data_dir=str(config.get("data_dir", "data")),
        download=bool(d["download"]),
    )
    return spec_id(f"{spec.source}-N{n_train}", identity(spec)), spec


def train_spec(config, n_train, device):
    """The SGD of the runs at N = ``n_train`` on ``device``, every value resolved."""
    t, c = config["race"]["train"], config["race"]["checkpoints"]
    total = resolve_total_steps(
        n_train, t["batch_size"], epochs=t.get("epochs"), steps=t.get("steps")
    )
    method = effective_method(t["method"], device, n_train=n_train)
    return TrainSpec(
        lr=float(t["lr"]),
        momentum=float(t["momentum"]),
        batch_size=int(t["batch_size"]),
        window=effective_window(method, t["window"]),
        method=method,
        total_steps=total,
        checkpoint_steps=tuple(
            checkpoint_steps(total, c["dense_until"], c["dense_every"], c["n_log"])
        ),
    )


def run_record(data_id, n_train, hidden, sigma0, seed, train):
    """(run_id, record) of one run; ``record["spec"]`` is what its id hashes."""
    spec = {
        "data": data_id,
        "hidden": int(hidden),
        "sigma0": float(sigma0),
        "seed": int(seed),
        "train": identity(train),
    }
    run_id = spec_id(f"N{n_train}-d{hidden}-s{float(sigma0):g}-seed{seed}", spec)
    stack_key = spec_id("key", {"data": data_id, "hidden": int(hidden), "train": spec["train"]})
    return run_id, {
        "stack_key": stack_key,
        "data_id": data_id,
        "seed": int(seed),
        "sigma0": float(sigma0),
        "hidden": int(hidden),
        "N": int(n_train),
        "train": train,
        "spec": spec,
    }


def stacks_of(runs):
    """{stack_id: stack} grouping the runs of one shape; sets each run's ``stack_id``."""
    groups = {}
    for run_id, r in runs.items():
        groups.setdefault(r["stack_key"], []).append(run_id)
    stacks = {}
    for key, members in groups.items():
        members = sorted(members)
        first = runs[members[0]]
        stack_id = spec_id(
            f"N{first['N']}-d{first['hidden']}-x{len(members)}",
            {"members": members, "shape": key},
        )
        stacks[stack_id] = {
            "data_id": first["data_id"],
            "hidden": first["hidden"],
            "train": first["train"],
            "runs": [
                {"run_id": m, "seed": runs[m]["seed"], "sigma0": runs[m]["sigma0"]} for m in members
            ],
        }
        for m in members:
            runs[m]["stack_id"] = stack_id
    return stacks


def imp_records(config, run_id, run):
    """{imp_id: record} of the IMP rounds of one base run, one per target sparsity."""
    imp = config["race"]["imp"]
    # IMP rounds keep the start and end weights only; masks need the direct method,
    # whose window is neutral (``method.DIRECT_WINDOW``)
    train = replace(
        run["train"],
        method="direct",
        window=effective_window("direct", run["train"].window),
        checkpoint_steps=(0, run["train"].total_steps),
    )
    out = {}
    for s in imp["sparsities"]:
        spec = ImpSpec(
            sparsity=float(s),
            rounds=int(imp["rounds"]),
            prune_output_layer=bool(imp["prune_output_layer"]),
            rewind=imp["rewind"],
        )
        config_ = {"run": run["spec"], "imp": identity(spec), "train": identity(train)}
        imp_id = spec_id(f"{run_id.rsplit('-', 1)[0]}-p{float(s):g}", config_)
        out[imp_id] = {"run_id": run_id, "spec": spec, "train": train, "config": config_}
    return out


def extract_options(config):
    return from_params(ExtractOptions, config["race"]["extract"])


def cube_record(run_id, run, options):
    """(cube_id, record) of the two cubes of one run."""
    cube_spec = {"run": run["spec"], "options": identity(options)}
    cube_id = spec_id(run_id.rsplit("-", 1)[0], cube_spec)
    return cube_id, {"run_id": run_id, "options": options, "config": cube_spec}


def stable_cells_record(config, data_id, n_train):
    """(stable_id, record) of the stable-cells cube of one data set."""
    cells = from_params(StableCellOptions, config["race"]["stable_cells"])
    spec = {"data": data_id, "options": identity(cells)}
    stable_id = spec_id(f"N{n_train}", spec)
    return stable_id, {"data_id": data_id, "options": cells, "config": spec, "N": int(n_train)}
