"""The selectivity study: "On the special role of class-selective neurons in early
training" (ResNets; class selectivity index, ablation, CKA, the SI regulariser).

plan (ids, paths, checks; no torch) -> data (splits) -> train (runs, checkpoints,
regulariser, resume) -> extract (SI, noise floor, CKA) / ablate -> merge (run cubes) ->
metrics (pure functions on cubes) -> claims; figures in ``figures/selectivity.py``.
"""
