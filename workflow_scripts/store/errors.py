"""The error a damaged artifact raises, naming it, so a user knows what to delete."""


class CorruptArtifactError(RuntimeError):
    """A checkpoint or cube exists but cannot be read (truncated, overwritten, wrong format)."""

    def __init__(self, path, reason):
        super().__init__(
            f"corrupt artifact {path}: {reason}. Delete it and rerun the workflow; "
            "Snakemake will rebuild it."
        )
        self.path = path
