"""The claims tests' one shape: the external study checks no paper claim (its runs are the
user's, and what their figures show is theirs to judge), so its table has no row."""

import pytest

from workflow_scripts.external.claims import CLAIMS

pytestmark = [pytest.mark.claims]
VERDICTS = {}  # at default size: none (no claim declared)


@pytest.fixture(scope="module")
def build(default_build):
    return default_build("external")


def test_the_table_is_built_from_these_functions(build):
    assert list(CLAIMS) == [] and build.rows == {}
    assert build.path(build.plan.paths.claims()).read_text().startswith("study,size,claim,")


@pytest.mark.parametrize("claim", list(VERDICTS))
def test_verdict_at_default_size(build, claim):
    assert build.rows[claim]["verdict"] == VERDICTS[claim]
