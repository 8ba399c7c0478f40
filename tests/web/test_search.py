"""Search of places and residents with or without diacritics, inside the user's scope, audited."""

from everydoor.accounts.models import AuditEvent
from tests.web import world as W


def _login(client, name):
    assert client.login(username=name, password=W.PW)


def test_places_with_or_without_diacritics_within_the_scope(client, w):
    _login(client, "chair")
    for text in ("Nậm Cang", "nam cang", "NAM CANG"):
        places = client.get("/search/", {"q": text}).context["places"]
        assert [p.parent_id for p in places] == [w["a"].pk], text  # commune A's village, not B's or C's
    assert client.get("/search/", {"q": "Ngoai Vung"}).context["places"] == []  # another province's commune
    _login(client, "leader")
    names = {p.name for p in client.get("/search/", {"q": "muong bo"}).context["places"]}
    assert names == {"Xã Mường Bo"}


def test_residents_by_name_in_a_commune_or_by_personal_id_audited(client, w):
    _login(client, "chair")
    people = client.get("/search/", {"q": "giang thi mai 1"}).context["people"]  # no accents
    assert people and all(p.commune_id == w["a"].pk for p in people)
    assert all(p.shown_id.startswith("********") for p in people)  # the chairman sees masked IDs
    event = AuditEvent.objects.get(object_type="person_search")
    assert event.detail["persons"] == [p.id for p in people]
    assert client.get("/search/", {"q": W.OTHER_NAMES[4]}).context["people"] == []  # another province's ID
    _login(client, "leader")
    assert client.get("/search/", {"q": "Giàng Thị Mai"}).context["people"] == []  # the province: choose a commune
    found = client.get("/search/", {"q": "Giàng Thị Mai", "commune": w["b"].code}).context["people"]
    assert found and {p.commune_id for p in found} == {w["b"].pk} and found[0].shown_id == found[0].personal_id
    _login(client, "clinic")
    assert client.get("/search/", {"q": "Giang"}).status_code == 404
