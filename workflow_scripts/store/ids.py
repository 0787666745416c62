"""Artifact ids derived from the resolved parameters that produce an artifact.

Two configurations never write the same path: the id is a readable label followed by
a hash of the *fully resolved* parameters (not only the non-default ones, so that a
changed default cannot silently change what a hash means).
"""

import hashlib
import json
import re


def canonical_json(spec):
    """JSON text that is identical for equal specs (sorted keys, no whitespace)."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), default=_plain)


def spec_hash(spec, length=10):
    return hashlib.sha1(canonical_json(spec).encode()).hexdigest()[:length]


def spec_id(label, spec):
    """``<label>-<hash>``; the label only makes the store browsable, the hash decides."""
    safe = re.sub(r"[^A-Za-z0-9.+_-]+", "_", label).strip("_")
    return f"{safe}-{spec_hash(spec)}"


def _plain(value):
    # numpy scalars and the like end up here
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")
