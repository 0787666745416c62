"""What Snakemake recorded about how an output was built.

Snakemake keeps one JSON record per output file under ``.snakemake/metadata/``, named by
the urlsafe base64 of the output's path as the rule wrote it (split into folders of at
most NAME_MAX - 1 characters, all but the last prefixed ``@``): see
``snakemake/persistence/file.py`` (``_record_path``) and the fields of
``snakemake.persistence.MetadataRecord``. Read here directly (by hand: Snakemake offers
no API that reads a record without building the workflow's DAG, which takes seconds).
"""

import json
import os
import re
from base64 import urlsafe_b64encode
from datetime import UTC, datetime
from pathlib import Path

# rules pass the digest of the code they run as ``params: code=`` (workflow_scripts.entry);
# Snakemake records params as the sorted reprs of their values, without names
DIGEST = re.compile(r"^'([0-9a-f]{12})'$")


def record_path(root, output):
    """Where Snakemake keeps the record of ``output`` (a path relative to ``root``)."""
    metadata = Path(root) / ".snakemake" / "metadata"
    max_len = os.pathconf(metadata, "PC_NAME_MAX") if metadata.is_dir() else 255
    encoded = urlsafe_b64encode(str(output).encode()).decode()
    parts = [encoded[i : i + max_len - 1] for i in range(0, len(encoded), max_len - 1)]
    return metadata.joinpath(*["@" + p for p in parts[:-1]], parts[-1])


def _time(stamp):
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")


def provenance(root, output):
    """The record of ``output`` as a dict (rule, inputs, code digest, params, times, log),
    or None when Snakemake kept none (built elsewhere, or its metadata was cleaned)."""
    path = record_path(root, Path(output).as_posix())
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError:  # being written by a running Snakemake
        return None
    params = record.get("params") or []
    digests = [m.group(1) for p in params if isinstance(p, str) and (m := DIGEST.match(p))]
    return {
        "rule": record.get("rule"),
        "inputs": record.get("input") or [],
        "code_digest": digests[0] if len(digests) == 1 else digests or None,
        "params": params,
        "started": _time(record.get("starttime")),
        "finished": _time(record.get("endtime")),
        "log": record.get("log") or [],
        "incomplete": bool(record.get("incomplete")),
        "record": str(path),
    }
