"""The selectivity study: "On the special role of class-selective neurons in early
training" (ResNets; class selectivity index, ablation, CKA, the SI regulariser).

plan (ids, paths; resolve, figure_options, layout; checks; no torch) -> data (splits) /
images (batches) -> train (runs, step checkpoints, regulariser, resume) -> extract (SI,
noise floor, CKA) / ablate -> merge (run cubes) -> metrics (pure functions on cubes) ->
claims (claim_data) and figures (the ``figures`` package).
"""
