"""Errors that name the artifact or data set at fault, so a user knows what to fix."""


class CorruptArtifactError(RuntimeError):
    """A checkpoint or cube exists but cannot be read (truncated, overwritten, wrong format)."""

    def __init__(self, path, reason):
        super().__init__(
            f"corrupt artifact {path}: {reason}. Delete it and rerun the workflow; "
            "Snakemake will rebuild it."
        )
        self.path = path


class MissingDatasetError(FileNotFoundError):
    """A data set the workflow needs is not on disk (nothing is downloaded at run time here)."""

    def __init__(self, name, directory, expected, how_to_get):
        expected_list = ", ".join(str(e) for e in expected)
        super().__init__(
            f"data set {name} not found: looked in {directory} for {expected_list}. "
            f"How to get it: {how_to_get}"
        )
        self.directory = directory
