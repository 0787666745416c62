"""The external study checks no paper's claims: its runs are the user's, and what their
figures show is theirs to judge. ``CLAIMS`` is empty, so the claims table the shared rule
builds for every study (``results/claims/external.csv``) holds its header only."""

from ..claims import Claims


def load(inputs, options):
    return {}


CLAIMS = Claims("external", load=load)
