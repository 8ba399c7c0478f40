import datetime as dt

import polars as pl
import pytest

from everydoor.linkage import frames, writes
from everydoor.linkage.models import Link, ReviewItem
from everydoor.registry.models import Card
from tests import factories


@pytest.mark.django_db
def test_cards_frame_reads_every_value_even_with_separators_inside():
    com = factories.commune()
    plain = factories.card(full_name="Giàng A Páo", personal_id="010090123456", com=com, address="Thôn 1")
    odd = factories.card(full_name="Lò\x1fThị\nMỷ", dob=None, com=None, address="")  # the text reader's separators
    frame = frames.cards_frame().sort("card_id")
    assert frame["card_id"].to_list() == [plain.id, odd.id]
    first, second = frame.to_dicts()
    assert first == {
        "card_id": plain.id, "si_code": plain.si_code, "personal_id": "010090123456", "full_name": "Giàng A Páo",
        "dob_year": 1990, "dob_month": 5, "dob_day": 17, "sex": "M", "commune_id": com.id, "address": "Thôn 1",
        "valid_from": dt.date(2025, 1, 1), "valid_to": dt.date(2025, 12, 31)}
    assert second["full_name"] == "Lò\x1fThị\nMỷ"
    assert (second["personal_id"], second["dob_year"], second["commune_id"], second["address"]) == (None, None, None, None)
    assert frame.schema == pl.Schema(frames.CARD_SCHEMA)


@pytest.mark.django_db
def test_cards_frame_reads_in_chunks_of_ids(monkeypatch):
    from everydoor.core import sqlite_text

    monkeypatch.setattr(sqlite_text, "CHUNK_IDS", 2)
    cards = [factories.card(full_name=f"Người {i}") for i in range(5)]
    Card.objects.filter(id=cards[2].id).update(present=False)
    frame = frames.cards_frame()
    assert frame["card_id"].to_list() == [c.id for i, c in enumerate(cards) if i != 2]
    assert frame["full_name"].to_list() == [f"Người {i}" for i in (0, 1, 3, 4)]


@pytest.mark.django_db
def test_bulk_insert_writes_constants_nulls_and_varying_values():
    person = factories.person()
    cards = [factories.card() for _ in range(3)]
    now = dt.datetime(2025, 11, 1, 8, 30, tzinfo=dt.UTC)
    links = pl.DataFrame({"card_id": [c.id for c in cards], "person_id": [person.id] * 3,
                          "method": ["personal_id", "probabilistic", "personal_id"],
                          "match_probability": [1.0, 0.875, None]}).with_columns(
        model_id=pl.lit(None, pl.Int64), reviewer_id=pl.lit(None, pl.Int64), linked_at=pl.lit(now))
    indexes_before = _indexes(Link._meta.db_table)
    assert writes.bulk_insert(Link._meta.db_table, links, rebuild_indexes=True) == 3
    assert _indexes(Link._meta.db_table) == indexes_before  # dropped for the insert, built again after
    rows = list(Link.objects.order_by("card_id").values_list("card_id", "person_id", "method", "match_probability",
                                                                "model_id", "linked_at"))
    assert [r[:5] for r in rows] == [(cards[0].id, person.id, "personal_id", 1.0, None),
                                     (cards[1].id, person.id, "probabilistic", 0.875, None),
                                     (cards[2].id, person.id, "personal_id", None, None)]
    assert {r[5] for r in rows} == {now}
    # one row: every column is a constant
    review = pl.DataFrame({"card_id": [cards[0].id], "person_id": [person.id], "match_probability": [0.5],
                           "decision": ["pending"], "created_at": [now]})
    writes.bulk_insert(ReviewItem._meta.db_table, review)
    assert list(ReviewItem.objects.values_list("card_id", "match_probability", "decision")) == [
        (cards[0].id, 0.5, "pending")]


def _indexes(table: str) -> set[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        return {c for c, info in connection.introspection.get_constraints(cursor, table).items() if info["index"]}
