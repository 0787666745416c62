"""The error a missing data set raises: where it was looked for and how to get it."""


class MissingDatasetError(FileNotFoundError):
    """A data set the workflow needs is not on disk (nothing is downloaded at run time here)."""

    def __init__(self, name, directory, expected, how_to_get):
        expected_list = ", ".join(str(e) for e in expected)
        super().__init__(
            f"data set {name} not found: looked in {directory} for {expected_list}. "
            f"How to get it: {how_to_get}"
        )
        self.directory = directory
