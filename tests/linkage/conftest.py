import pytest

from tests.linkage import synth


@pytest.fixture
def register(db):
    """A synthetic register of 400 residents and their cards (with clerks' errors)."""
    return synth.build(400)
