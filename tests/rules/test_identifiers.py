"""Identifier parsers: worked examples, properties, and scalar == Polars on random input."""

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from everydoor.rules import identifiers as ids
from everydoor.rules import identifiers_polars as pids
from everydoor.rules import law

D = dt.date
PROVINCES = sorted(ids.province_codes())


def test_the_63_historical_province_codes():
    assert len(PROVINCES) == 63
    assert ids.province_codes()["010"] == "Lào Cai" and ids.province_codes()["015"] == "Yên Bái"
    assert "003" not in PROVINCES


@pytest.mark.parametrize(("value", "sex", "year"), [
    ("010090000001", "M", 1990), ("010190000001", "F", 1990), ("001205012345", "M", 2005),
    ("096312123456", "F", 2012), ("001400000000", "M", 2100),
])
def test_personal_id_parts(value, sex, year):
    result = ids.check_personal_id(f"  {value}\n")
    assert result.valid and result.errors == []
    assert (result.parts["sex"], result.parts["birth_year"]) == (sex, year)
    assert result.parts["province_code"] == value[:3]


@pytest.mark.parametrize(("value", "errors"), [
    ("", ["bad_length"]), ("01009000000", ["bad_length"]), ("0100900000012", ["bad_length"]),
    ("01009000000A", ["not_digits"]), ("003090000001", ["unknown_province_code"]),
    ("010690000001", ["bad_century_digit"]), ("003990000001", ["unknown_province_code", "bad_century_digit"]),
])
def test_personal_id_errors(value, errors):
    result = ids.check_personal_id(value)
    assert (result.valid, result.errors) == (False, errors)


def test_personal_id_contradicting_the_record_is_flagged():
    assert ids.check_personal_id("010190000001", sex="M").errors == ["sex_mismatch"]
    assert ids.check_personal_id("010190000001", birth_year=1991).errors == ["birth_year_mismatch"]
    assert ids.check_personal_id("010190000001", sex="M", birth_year=1991).errors == [
        "sex_mismatch", "birth_year_mismatch"]
    assert ids.check_personal_id("010190000001", sex="F", birth_year=1990).valid
    assert ids.check_personal_id("010190000001", sex="?").valid  # unknown sex is not checked


@pytest.mark.parametrize(("value", "errors"), [
    ("0123456789", []), ("012345678", ["bad_length"]), ("01234567X9", ["not_digits"]),
])
def test_si_code(value, errors):
    assert ids.check_si_code(value).errors == errors


def test_card_number_parts_and_case():
    result = ids.check_card_number("gd4150123456789", on=D(2025, 1, 1))
    assert result.valid and result.value == "GD4150123456789"
    assert result.parts == {"group_code": "GD", "benefit_level": 4, "province_code": "15", "si_code": "0123456789"}


@pytest.mark.parametrize(("value", "errors"), [
    ("GD415012345678", ["bad_length"]), ("G14150123456789", ["bad_group_code"]),
    ("GD6150123456789", ["bad_benefit_level"]), ("GD41A0123456789", ["bad_province_code"]),
    ("GD415012345678X", ["bad_si_code"]), ("1D0A50123X56789", ["bad_group_code", "bad_benefit_level",
                                                               "bad_province_code", "bad_si_code"]),
])
def test_card_number_structure(value, errors):
    assert ids.check_card_number(value, on=D(2025, 1, 1)).errors == errors


def test_card_level_must_match_the_group_on_the_date():
    assert ids.check_card_number("CN3150123456789", on=D(2025, 12, 31)).valid
    late = ids.check_card_number("CN3150123456789", on=D(2026, 1, 1))
    assert late.errors == ["level_mismatch"] and late.parts["expected_benefit_level"] == 2
    assert ids.check_card_number("CN2150123456789", on=D(2026, 1, 1)).valid


def test_unknown_group_and_unknown_level_are_warnings():
    unknown = ids.check_card_number("ZZ4150123456789", on=D(2025, 1, 1))
    assert unknown.valid and unknown.warnings == ["unknown_group"]
    tv = ids.check_card_number("TV4150123456789", on=D(2025, 1, 1))
    assert tv.valid and tv.warnings == ["level_unknown_on_date"]
    pv = ids.check_card_number("PV3150123456789", on=D(2023, 11, 30))
    assert pv.valid and pv.warnings == ["level_unknown_on_date"]


@pytest.mark.parametrize(("value", "kind"), [
    ("010190000001", "personal_id"), ("0123456789", "si_code"), ("GD4150123456789", "card_number"),
    ("12345", "unknown"), ("abcdefghij", "unknown"),
])
def test_identifier_kind(value, kind):
    assert ids.check_identifier(value, on=D(2025, 1, 1)).kind == kind


# ---------------------------------------------------------------- properties

digits = st.text(alphabet="0123456789", min_size=0, max_size=16)
noise = st.text(alphabet=st.sampled_from(list("0123456789 \t\nAZaz٣-.\x1c")), max_size=16)
personal_ids = st.one_of(
    digits, noise,
    st.builds(lambda p, g, rest: p + g + rest, st.sampled_from(PROVINCES + ["003", "999"]),
              st.sampled_from("0123456789"), st.text(alphabet="0123456789", min_size=8, max_size=8)),
)
card_numbers = st.one_of(
    noise,
    st.builds(lambda g, lvl, rest: g + lvl + rest,
              st.sampled_from(sorted(law.known_group_codes()) + ["ZZ", "gd", "g1"]),
              st.sampled_from("0123456"), st.text(alphabet="0123456789X", min_size=12, max_size=12)),
)
dates = st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31))


@given(personal_ids)
def test_valid_personal_ids_round_trip(value):
    result = ids.check_personal_id(value)
    if result.valid:
        century, sex = ids.century_sex()[value.strip(ids.STRIP_CHARS)[3]]
        assert result.parts["sex"] == sex
        assert century <= result.parts["birth_year"] < century + 100
        assert ids.identifier_kind(value) == "personal_id"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(personal_ids, st.sampled_from(["M", "F", None, "X"]),
                          st.one_of(st.none(), st.integers(1895, 2110))), min_size=1, max_size=30))
def test_personal_id_scalar_and_polars_agree(rows):
    frame = pl.DataFrame(rows, schema={"id": pl.String, "sex": pl.String, "year": pl.Int64}, orient="row")
    got = frame.select(e=pids.personal_id_errors("id"),
                       c=pids.personal_id_contradiction("id", "sex", "year"),
                       s=pids.personal_id_sex("id"), y=pids.personal_id_birth_year("id"))
    for (value, sex, year), polars_row in zip(rows, got.iter_rows(named=True), strict=True):
        structural = ids.check_personal_id(value)
        assert polars_row["e"] == (structural.errors[0] if structural.errors else None)
        full = ids.check_personal_id(value, sex=sex, birth_year=year)
        contradiction = full.errors[0] if structural.valid and full.errors else None
        assert polars_row["c"] == contradiction
        if structural.valid:
            assert (polars_row["s"], polars_row["y"]) == (full.parts["sex"], full.parts["birth_year"])


@settings(max_examples=200, deadline=None)
@given(st.lists(noise, min_size=1, max_size=30))
def test_si_code_scalar_and_polars_agree(values):
    got = pl.DataFrame({"v": values}).select(e=pids.si_code_error("v"))["e"].to_list()
    assert got == [(r.errors[0] if r.errors else None) for r in map(ids.check_si_code, values)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(card_numbers, dates), min_size=1, max_size=30))
def test_card_number_scalar_and_polars_agree(rows):
    frame = pl.DataFrame(rows, schema={"card": pl.String, "on": pl.Date}, orient="row")
    parts = pids.card_number_parts("card")
    got = frame.select(
        e=pids.card_number_error("card"), clean=pids.card_number_clean("card"),
        g=parts.struct.field("group_code"), lvl=parts.struct.field("benefit_level"),
        p=parts.struct.field("province_code"), si=parts.struct.field("si_code"),
    ).with_columns(m=pids.card_level_mismatch("g", "lvl", frame["on"]), w=pids.card_warning("g", frame["on"]))
    for (value, on), row in zip(rows, got.iter_rows(named=True), strict=True):
        scalar = ids.check_card_number(value, on=on)
        structural = [e for e in scalar.errors if e != ids.LEVEL_MISMATCH]
        assert row["e"] == (structural[0] if structural else None)
        if structural:
            assert row["g"] is None and row["clean"] is None
            continue
        assert row["clean"] == scalar.value
        assert {"group_code": row["g"], "benefit_level": row["lvl"], "province_code": row["p"],
                "si_code": row["si"]} == {k: scalar.parts[k] for k in
                                          ("group_code", "benefit_level", "province_code", "si_code")}
        assert row["m"] == ("level_mismatch" if ids.LEVEL_MISMATCH in scalar.errors else None)
        assert row["w"] == (scalar.warnings[0] if scalar.warnings else None)
