import json

import polars as pl

from everydoor.pipeline.cards import DAY_FIRST, STORED_TEXT, raw_record
from everydoor.pipeline.columns import CARD_COLUMNS
from everydoor.pipeline.values import with_date

PLACES = [(1, "Xã Mường Bo", "Lào Cai"), (2, "Phường Sa Pa", "Lào Cai")]


def _frame(received: dict) -> pl.DataFrame:
    frame = pl.DataFrame(received, schema=dict.fromkeys(CARD_COLUMNS, pl.String)).with_columns(
        si=pl.col("si_code"), card_number_value=pl.col("card_number"), personal_id_value=pl.col("personal_id"),
        sex_code=pl.lit("M"), group=pl.col("group_code"), level=pl.lit(None, pl.Int16),
        benefit_level=pl.lit(None, pl.String), commune_id=pl.Series([1, 1, 2, None, 1, 2], dtype=pl.Int64))
    for column in ("date_of_birth", "valid_from", "valid_to"):
        frame = with_date(frame, column, partial=True)
    return frame


def _read_back(row: dict, stored: dict, style: str) -> dict:
    """What the row gives back of each received field, worked out one row at a time."""
    def date(column):
        y, m, d = row[f"{column}_y"], row[f"{column}_m"], row[f"{column}_d"]
        if style == DAY_FIRST:
            return f"{d:02}/{m:02}/{y}" if d else f"{m:02}/{y}" if m else str(y)
        return f"{y}-{m:02}-{d:02}" if d else f"{y}-{m:02}" if m else str(y)

    place = {unit_id: (name, province) for unit_id, name, province in PLACES}.get(row["commune_id"], (None, None))
    return {**{c: stored[f"_stored_{c}"] for c in STORED_TEXT},
            **{c: date(c) for c in ("date_of_birth", "valid_from", "valid_to")},
            "commune": place[0], "province": place[1]}


def test_raw_record_keeps_only_what_the_row_cannot_give_back():
    received = {c: [f"{c} {i}" for i in range(6)] for c in CARD_COLUMNS}
    received["personal_id"] = [None, "012345678901", None, "012345678901", "0123 a", "012345678901"]
    received["clinic_code"] = ['10"01', "10001", "10001", None, "10001", "10001"]
    received["sex"] = ["Nam", "M", "M", "Nam", "M", "M"]
    received["date_of_birth"] = ["17/05/1990", "05/1990", "1990", "1990-05-17", "1/5/1990", "17/05/1990"]
    received["valid_from"] = ["01/01/2025"] * 5 + ["2025-01-01"]
    received["valid_to"] = ["31/12/2025"] * 6
    received["commune"] = ["Xã Mường Bo", "Mường Bo", "Phường Sa Pa", None, "Xã Mường Bo", None]
    received["province"] = ["Lào Cai", "Lào Cai", "Tỉnh Lào Cai", None, None, "Lào Cai"]
    frame = _frame(received)
    stored = frame.select(**{f"_stored_{c}": expr for c, expr in STORED_TEXT.items()})
    rows = pl.concat([frame, stored], how="horizontal").iter_rows(named=True)
    got = [json.loads(text) for text in raw_record(frame, PLACES)]
    for row, raw in zip(rows, got, strict=True):
        assert raw.pop("date_style") == DAY_FIRST  # most dates of this extract are written day first
        back = _read_back(row, row, DAY_FIRST)
        assert raw == {c: row[c] for c in CARD_COLUMNS if row[c] != back[c]}  # only what differs is kept
        assert {**back, **raw} == {c: row[c] for c in CARD_COLUMNS}  # and the whole record comes back
        assert list(raw) == [c for c in CARD_COLUMNS if c in raw]  # fields in the columns' order
    assert set(got[0]) == {"personal_id", "sex"}  # its dates and places are read back
    assert "commune" in got[1] and "date_of_birth" not in got[1]  # a short commune name; 05/1990 reads back
    assert all("date_of_birth" in got[i] for i in (3, 4)) and "valid_from" in got[5]  # ISO, or not padded


def test_without_places_the_raw_record_keeps_them_and_iso_dates_need_no_style():
    received = {c: [f"{c} {i}" for i in range(6)] for c in CARD_COLUMNS}
    received |= {"date_of_birth": ["1990-05-17"] * 6, "valid_from": ["2025-01-01"] * 6, "valid_to": ["2025-12-31"] * 6}
    got = [json.loads(text) for text in raw_record(_frame(received), None)]
    assert all("date_style" not in raw and {"commune", "province"} <= set(raw) for raw in got)
    assert not any({"date_of_birth", "valid_from", "valid_to"} & set(raw) for raw in got)
