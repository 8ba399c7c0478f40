"""The suite's own ground: rows get ids past 1,000 (tests/conftest.py), as on a province's registers."""

import pytest

from tests import factories


@pytest.mark.django_db
def test_a_new_row_has_an_id_past_a_thousand():
    commune = factories.commune()
    person = factories.person(com=commune)
    assert commune.id > 1_000 and person.id > 1_000


@pytest.mark.django_db(transaction=True)
def test_so_does_a_row_of_a_test_that_commits():
    assert factories.commune().id > 1_000
