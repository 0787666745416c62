"""Per-neuron metrics of the race study (pure functions; no file I/O).

- ``alignment``: norm product a(t), output class c(a), target vector of the current
  cell and cos(delta(t)) (Definition 3.3, Appendix B, Section 5 of the paper).
- ``clusters``: cosine similarity of total weight vectors, clusters at tau.
- ``stable_cells``: Algorithm 1 of Appendix D.
- ``merging``: merge each cluster into one neuron (Section 4), accuracy change.
"""
