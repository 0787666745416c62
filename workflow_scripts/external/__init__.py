"""The external study: the papers' neuron-level metrics (class selectivity with its noise
floor, sample-set statistics, CKA between layers, ablation curves) applied to training runs
this workflow did not train, read from the checkpoint files someone else's script wrote.
The measurements are the shared ``workflow_scripts.metrics`` layer; this package finds and
reads the checkpoints, plans the jobs and draws the figures."""
