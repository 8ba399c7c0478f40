import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from everydoor.pipeline.columns import CARD_COLUMNS, POPULATION_COLUMNS, header_map
from everydoor.pipeline.values import sex_code, status_code, with_date


def _one(value, partial=True):
    frame = with_date(pl.DataFrame({"d": [value]}, schema={"d": pl.String}), "d", partial=partial)
    return frame.row(0, named=True)


@pytest.mark.parametrize(("text", "parts"), [
    ("1990-05-17", (1990, 5, 17)), ("17/05/1990", (1990, 5, 17)), ("17-05-1990", (1990, 5, 17)),
    ("1990", (1990, None, None)), ("05/1990", (1990, 5, None)), ("1990-05", (1990, 5, None)),
    ("2025-01-01 00:00:00", (2025, 1, 1)),
])
def test_dates_full_and_partial_are_read(text, parts):
    row = _one(text)
    assert (row["d_y"], row["d_m"], row["d_d"]) == parts
    assert row["d_error"] is None


@pytest.mark.parametrize(("text", "error"), [
    ("31/02/1990", "impossible_date"), ("13/13/2000", "impossible_date"), ("1850", "impossible_date"),
    ("yesterday", "unreadable_date"), ("29/02/2023", "impossible_date"),
])
def test_impossible_and_unreadable_dates_are_errors(text, error):
    assert _one(text)["d_error"] == error


def test_partial_date_is_an_error_where_a_full_date_is_required():
    assert _one("1990", partial=False)["d_error"] == "partial_date"
    assert _one("29/02/2024", partial=False)["d_date"] == dt.date(2024, 2, 29)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_any_real_date_round_trips_in_both_spellings(day):
    for text in (day.isoformat(), day.strftime("%d/%m/%Y")):
        assert _one(text, partial=False)["d_date"] == day


def test_sex_and_status_in_vietnamese_and_english():
    frame = pl.DataFrame({"s": ["Nam", "Nữ", "F", "male", "x", None],
                          "t": ["Thường trú", "Đã chuyển đi", "đã mất", "deceased", "???", None]})
    out = frame.select(sex_code("s"), status_code("t"))
    assert out["s"].to_list() == ["M", "F", "F", "M", None, None]
    assert out["t"].to_list() == ["resident", "moved_out", "deceased", "deceased", None, None]


def test_vietnamese_headers_map_to_canonical_columns():
    headers = ["Số định danh cá nhân", "HỌ VÀ TÊN", "Ngay sinh", "Mã số BHXH", "Mã thẻ", "Giá trị từ ngày",
               "Giá trị đến ngày", "Unrelated"]
    assert header_map(headers, CARD_COLUMNS) == {
        "Số định danh cá nhân": "personal_id", "HỌ VÀ TÊN": "full_name", "Ngay sinh": "date_of_birth",
        "Mã số BHXH": "si_code", "Mã thẻ": "card_number", "Giá trị từ ngày": "valid_from",
        "Giá trị đến ngày": "valid_to"}
    assert header_map(["Xã/Phường", "Thôn/Tổ dân phố"], POPULATION_COLUMNS) == {
        "Xã/Phường": "commune", "Thôn/Tổ dân phố": "village"}
