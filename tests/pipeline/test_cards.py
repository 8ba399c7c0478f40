import json

import polars as pl

from everydoor.pipeline.cards import STORED_TEXT, raw_record
from everydoor.pipeline.columns import CARD_COLUMNS


def _reference_raw(row: dict) -> dict:
    """What raw_record keeps, one row at a time: every field not stored as received."""
    return {c: row[c] for c in CARD_COLUMNS if c not in STORED_TEXT or row[c] != row[f"_stored_{c}"]}


def test_raw_record_keeps_each_row_its_own_differing_fields():
    received = {c: [f"{c} {i}" for i in range(6)] for c in CARD_COLUMNS}
    received["personal_id"] = [None, "012345678901", None, "012345678901", "0123 a", "012345678901"]
    received["clinic_code"] = ['10"01', "10001", "10001", None, "10001", "10001"]
    received["sex"] = ["Nam", "M", "M", "Nam", "M", "M"]
    frame = pl.DataFrame(received, schema=dict.fromkeys(CARD_COLUMNS, pl.String)).with_columns(
        si=pl.col("si_code"), sex_code=pl.lit("M"), group=pl.col("group_code"), level=pl.lit(None, pl.Int16),
        benefit_level=pl.lit(None, pl.String), valid_from_text=pl.col("valid_from"), valid_to_text=pl.lit("2025-01-01"))
    stored = frame.select(**{f"_stored_{c}": expr for c, expr in STORED_TEXT.items()})
    expected = [_reference_raw(r) for r in pl.concat([frame, stored], how="horizontal").iter_rows(named=True)]
    got = [json.loads(text) for text in raw_record(frame)]
    assert got == expected
    assert list(got[0]) == [c for c in CARD_COLUMNS if c in got[0]]  # fields in the columns' order
    assert set(got[1]) == {"date_of_birth", "valid_to", "commune", "province"}
