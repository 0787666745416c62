"""From the validated config to the artifacts of the wtm study and their ids.

Every artifact id is a readable label plus a hash of the resolved parameters that
produce it (``store.ids.spec_id``), so two configurations never share a path and
equal runs asked for twice (e.g. by a figure and by the noise sweep) are built once.
The rules only look things up here; this module has no Snakemake dependency.
"""

from dataclasses import dataclass, field

from ..store.ids import spec_id

DATA_KEYS = ("n_features", "n_patterns", "active_per_pattern", "overlapping_masks",
             "train_per_pattern", "test_per_pattern", "pattern_seed")


@dataclass
class WtmPlan:
    datasets: dict = field(default_factory=dict)   # data_id -> PatternSpec kwargs
    runs: dict = field(default_factory=dict)       # run_id -> {"data_id", "train", "spec"}
    named_runs: dict = field(default_factory=dict)  # config run name -> run_id
    cubes: dict = field(default_factory=dict)      # cube_id -> {"run_id", "test_data_id", "neurons", "config"}
    run_cube: dict = field(default_factory=dict)   # run name -> cube_id
    evals: dict = field(default_factory=dict)      # eval_id -> {"run_id", "test_data_ids", ...}

    def dataset(self, wtm, sigma):
        spec = {k: wtm["data"][k] for k in DATA_KEYS}
        spec["sigma"] = float(sigma)
        data_id = spec_id(f"sigma{spec['sigma']:g}-patterns{spec['pattern_seed']}", spec)
        self.datasets[data_id] = spec
        return data_id

    def run(self, wtm, sigma_train, overrides):
        train = {**wtm["train"], **overrides}
        train["checkpoint_dense_until"] = wtm["checkpoints"]["dense_until"]
        train["checkpoint_every"] = wtm["checkpoints"]["every"]
        data_id = self.dataset(wtm, sigma_train)
        spec = {"data": self.datasets[data_id], "train": train}
        label = (f"{train['optimizer']}-{train['activation']}-h{train['hidden']}"
                 f"-sigma{float(sigma_train):g}-seed{train['seed']}")
        run_id = spec_id(label, spec)
        self.runs[run_id] = {"data_id": data_id, "train": train, "spec": spec}
        return run_id


def build_plan(config):
    wtm = config["wtm"]
    plan = WtmPlan()
    extract = wtm["extract"]
    for name, run in wtm["runs"].items():
        overrides = {k: v for k, v in run.items() if k != "sigma_train"}
        run_id = plan.run(wtm, run["sigma_train"], overrides)
        plan.named_runs[name] = run_id
        test_data_id = plan.dataset(wtm, extract["sigma_test"])
        cube_spec = {"run": plan.runs[run_id]["spec"], "test_data": plan.datasets[test_data_id],
                     "neurons": extract["neurons"], "train_per_pattern": extract["train_per_pattern"]}
        cube_id = spec_id(f"{name}-{run_id.rsplit('-', 1)[0]}", cube_spec)
        plan.cubes[cube_id] = {"run_id": run_id, "test_data_id": test_data_id,
                               "neurons": extract["neurons"],
                               "train_per_pattern": extract["train_per_pattern"], "config": cube_spec}
        plan.run_cube[name] = cube_id
    sweep = wtm["figures"]["noise_generalization"]
    test_ids = [plan.dataset(wtm, s) for s in sweep["sigma_test"]]
    for sigma_train in sweep["sigma_train"]:
        for seed in sweep["seeds"]:
            run_id = plan.run(wtm, sigma_train, {"seed": seed})
            eval_spec = {"run": plan.runs[run_id]["spec"],
                         "test_data": [plan.datasets[t] for t in test_ids]}
            eval_id = spec_id(run_id.rsplit("-", 1)[0], eval_spec)
            plan.evals[eval_id] = {"run_id": run_id, "test_data_ids": test_ids,
                                   "sigma_train": float(sigma_train), "seed": seed,
                                   "config": eval_spec}
    return plan
