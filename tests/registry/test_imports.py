"""Imports of real files (CSV, XLSX, Parquet) into the registers, bad input included."""

import datetime as dt
import json

import polars as pl
import pytest

from everydoor.core.errors import EverydoorError
from everydoor.pipeline.columns import CARD_COLUMNS
from everydoor.registry.models import (
    Card,
    Household,
    ImportBatch,
    Person,
    PersonHistory,
    QuarantineRow,
)
from everydoor.registry.selectors import card_raw
from everydoor.registry.services import _repeated_keys, cards_import, population_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("units")]
AS_OF = dt.date(2025, 10, 31)

RESIDENTS = [
    # personal_id, full_name, date_of_birth, sex, ethnicity, household_id, relation, village, commune, province, address, status, status_date
    ("010090001234", "Giàng A Páo", "17/05/1990", "Nam", "Mông", "HH1", "Chủ hộ", "Thôn Nậm Cang", "Xã Mường Bo", "Tỉnh Lào Cai", "", "", ""),
    ("010192001235", "Sùng Thị Mai", "1992", "Nữ", "Mông", "HH1", "Vợ", "Thôn Nậm Cang", "", "", "Thôn Nậm Cang, Xã Liên Minh, Thị xã Sa Pa, Tỉnh Lào Cai", "", ""),
    ("015085001236", "Hoàng Văn Minh", "1985-02-03", "M", "Tày", "HH2", "Chủ hộ", "Tổ dân phố 3", "Phuong Lao Cai", "Lao Cai", "", "Thường trú", ""),
    ("015160001237", "Bàn Thị Lan", "03/04/1960", "F", "Dao", "HH3", "Chủ hộ", "Bản Mới", "02647", "", "", "Đã mất", "01/03/2025"),
]
HEADER_VI = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Mã hộ", "Quan hệ với chủ hộ",
             "Thôn", "Xã", "Tỉnh", "Địa chỉ", "Tình trạng", "Ngày thay đổi"]


def write_population(path, rows, header=HEADER_VI):
    frame = pl.DataFrame([list(r) for r in rows], schema=header, orient="row")
    if path.suffix == ".csv":
        frame.write_csv(path)
    elif path.suffix == ".xlsx":
        frame.write_excel(path)
    else:
        frame.write_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_population_loads_from_each_format_with_vietnamese_headers(tmp_path, suffix):
    batch = population_import(path=write_population(tmp_path / f"dan_cu{suffix}", RESIDENTS), as_of=AS_OF)
    assert (batch.status, batch.rows_read, batch.rows_loaded, batch.rows_quarantined) == ("done", 4, 4, 0)
    pao = Person.objects.get(personal_id="010090001234")
    assert (pao.commune.name, pao.village.name, pao.dob, pao.sex) == ("Xã Mường Bo", "Thôn Nậm Cang",
                                                                      dt.date(1990, 5, 17), "M")
    # a legacy address resolves to today's commune; a partial date keeps its year
    mai = Person.objects.get(personal_id="010192001235")
    assert (mai.commune.name, mai.dob_year, mai.dob_month, mai.dob, mai.household_id) == (
        "Xã Mường Bo", 1992, None, None, pao.household_id)
    assert "partial_dob" in mai.flags
    assert Person.objects.get(personal_id="015085001236").commune.name == "Phường Lào Cai"
    lan = Person.objects.get(personal_id="015160001237")
    assert (lan.status, lan.status_date, lan.commune.code) == ("deceased", dt.date(2025, 3, 1), "02647")
    assert Household.objects.count() == 3
    assert PersonHistory.objects.count() == 0  # history holds superseded states only


def test_rows_without_identity_or_place_go_to_quarantine_with_row_field_and_reason(tmp_path):
    rows = RESIDENTS + [
        ("01009000123", "", "1990", "M", "Mông", "HH9", "", "", "Xã Mường Bo", "", "", "", ""),  # 11 digits, no name
        ("", "Ly A Chứ", "31/03/1990", "M", "Mông", "", "", "", "Xã Mường Bo", "", "", "", ""),  # no ID, no household
        ("", "", "1990", "M", "Mông", "HH9", "", "", "Xã Mường Bo", "", "", "", ""),  # no ID, no name
        ("010090007777", "Ly A Sử", "1990", "M", "Mông", "HH9", "", "", "Xã Không Tồn Tại", "", "", "", ""),
    ]
    path = write_population(tmp_path / "dan_cu.csv", rows)
    batch = population_import(path=path, as_of=AS_OF)
    assert (batch.rows_read, batch.rows_loaded, batch.rows_quarantined) == (8, 4, 4)
    found = {(q.row_number, q.field, q.reason) for q in QuarantineRow.objects.filter(batch=batch)}
    assert found == {(5, "personal_id", "bad_length"), (5, "full_name", "required"),
                     (6, "personal_id", "required"), (6, "household_id", "required"),
                     (7, "personal_id", "required"), (7, "full_name", "required"),
                     (8, "commune", "unresolvable_commune")}
    message = QuarantineRow.objects.get(batch=batch, row_number=6, field="household_id").message
    assert "dan_cu.csv" in message and "row 6" in message and "household_id" in message
    assert json.loads(QuarantineRow.objects.get(batch=batch, row_number=8).raw)["personal_id"] == "010090007777"
    assert Person.objects.count() == 4


def test_contradiction_loads_and_is_flagged(tmp_path):
    # well-formed ID saying "male born 1990" on a woman born 1991
    rows = [("010090001234", "Sùng Thị Dế", "1991-01-01", "Nữ", "Mông", "HH1", "", "", "Xã Mường Bo", "", "", "", "")]
    population_import(path=write_population(tmp_path / "p.csv", rows), as_of=AS_OF)
    person = Person.objects.get(personal_id="010090001234")
    assert "id_sex_mismatch" in person.flags


def test_unreadable_file_and_missing_columns_load_nothing(tmp_path):
    (tmp_path / "p.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(EverydoorError, match="missing column.*full_name"):
        population_import(path=tmp_path / "p.csv", as_of=AS_OF)
    (tmp_path / "p.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(EverydoorError, match="unsupported file type"):
        population_import(path=tmp_path / "p.pdf", as_of=AS_OF)
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(EverydoorError, match="cannot be read"):
        population_import(path=tmp_path / "broken.xlsx", as_of=AS_OF)
    with pytest.raises(EverydoorError, match="no such file"):
        population_import(path=tmp_path / "absent.csv", as_of=AS_OF)
    assert Person.objects.count() == 0


def test_reimport_changes_nothing_and_newer_extract_supersedes_with_history(tmp_path):
    first = population_import(path=write_population(tmp_path / "a.csv", RESIDENTS), as_of=AS_OF)
    before = list(Person.objects.order_by("id").values())
    again = population_import(path=write_population(tmp_path / "a.csv", RESIDENTS), as_of=AS_OF)
    assert again.status == "unchanged"
    assert list(Person.objects.order_by("id").values()) == before
    # a month later: Pao moved out, Minh is gone from the extract, a newborn appears
    newer = [r for r in RESIDENTS if r[0] != "015085001236"]
    newer[0] = newer[0][:11] + ("Đã chuyển đi", "15/11/2025")
    newer.append(("010325001238", "Giàng A Tráng", "20/11/2025", "Nam", "Mông", "HH1", "Con", "Thôn Nậm Cang",
                  "Xã Mường Bo", "", "", "", ""))
    batch = population_import(path=write_population(tmp_path / "b.csv", newer), as_of=dt.date(2025, 11, 30),
                              scope="Lào Cai")
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_absent) == (1, 1, 1)
    minh = Person.objects.get(personal_id="015085001236")
    assert minh.present is False  # kept, not deleted
    pao = Person.objects.get(personal_id="010090001234")
    assert (pao.status, pao.status_date) == ("moved_out", dt.date(2025, 11, 15))
    # what each was before the newer extract, and which extract changed it
    assert list(pao.history.values_list("status", "status_date", "as_of")) == [
        ("resident", None, dt.date(2025, 11, 30))]
    assert list(minh.history.values_list("present", "status")) == [(True, "resident")]
    assert PersonHistory.objects.filter(batch=batch).count() == 2
    # an older extract cannot overwrite the newer one
    with pytest.raises(EverydoorError, match="newer population extract"):
        population_import(path=write_population(tmp_path / "c.csv", RESIDENTS[:1]), as_of=dt.date(2025, 9, 30))
    assert first.id < batch.id


CARD_HEADER = ["Mã số BHXH", "Mã thẻ", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Mã đối tượng",
               "Mức hưởng", "Giá trị từ ngày", "Giá trị đến ngày", "Xã", "Tỉnh", "Địa chỉ", "Mã KCB ban đầu"]
CARDS = [
    ("1001234567", "DT2101001234567", "010090001234", "Giàng A Páo", "17/05/1990", "Nam", "DT", "2", "01/01/2025", "31/12/2025", "Xã Mường Bo", "", "", "10001"),
    ("1001234567", "DT2101001234567", "010090001234", "Giàng A Páo", "17/05/1990", "Nam", "DT", "2", "01/01/2024", "31/12/2024", "Xã Mường Bo", "", "", "10001"),
    ("1001234568", "", "", "Sung Thi Mai", "1992", "Nữ", "", "", "01/01/2025", "31/12/2025", "", "", "Xã Liên Minh, Sa Pa, Lào Cai", ""),
    ("1001234569", "GD4151001234569", "", "Hoàng Văn Minh", "1985", "M", "GD", "4", "2025-03-01", "2026-02-28", "", "", "", ""),
]


def write_cards(path, rows):
    pl.DataFrame([list(r) for r in rows], schema=CARD_HEADER, orient="row").write_csv(path)
    return path


def test_cards_load_with_history_flags_and_errors(tmp_path):
    rows = CARDS + [
        CARDS[0],  # the same card twice in the file: counted once
        ("1001234570", "XX9101001234570", "", "Lò Văn Ơn", "1970", "M", "", "", "01/01/2025", "31/12/2025", "", "", "", ""),
        ("1001234571", "", "", "Lò Thị Hoa", "1970", "F", "HN", "2", "01/06/2025", "31/12/2024", "", "", "", ""),
        ("", "", "", "Không Mã", "1970", "F", "HN", "2", "01/01/2025", "31/12/2025", "", "", "", ""),
        ("1001234572", "HT3101001234572", "", "Lò Văn Tám", "1950", "M", "HT", "3", "01/01/2025", "31/12/2025", "Xã Không Tồn Tại", "", "", ""),
    ]
    batch = cards_import(path=write_cards(tmp_path / "the.csv", rows), as_of=AS_OF)
    assert (batch.rows_read, batch.rows_loaded, batch.rows_quarantined) == (9, 5, 3)
    assert "1 exact duplicate" in batch.error
    reasons = set(QuarantineRow.objects.filter(batch=batch).values_list("row_number", "field", "reason"))
    # a malformed card number with a usable SI code: the card loads without it, flagged
    on = Card.objects.get(si_code="1001234570")
    assert (on.card_number, on.record_key, on.flags.split(",")[0]) == ("", "1001234570|2025-01-01",
                                                                      "invalid_card_number")
    assert not any(r[0] == 6 for r in reasons)
    assert (7, "valid_to", "valid_to_before_valid_from") in reasons
    assert (8, "card_number", "required") in reasons
    assert (9, "commune", "unresolvable_commune") in reasons
    assert Card.objects.filter(si_code="1001234567").count() == 2  # two periods: history kept
    mai = Card.objects.get(si_code="1001234568")
    assert mai.commune.name == "Xã Mường Bo" and "no_personal_id" in mai.flags
    minh = Card.objects.get(si_code="1001234569")
    assert (minh.group_code, minh.benefit_level, minh.payer_group) == ("GD", 4, "household")
    assert "card_level_mismatch" not in minh.flags
    pao = Card.objects.get(record_key="DT2101001234567|2025-01-01")
    assert pao.group_code == "DT" and pao.benefit_level == 2
    # the raw record keeps what the row cannot give back as received (dates read back day first, as
    # most of this extract writes them; the commune by its name); card_raw gives the whole record
    assert json.loads(pao.raw) == {"sex": "Nam", "province": None, "address": None, "date_style": "dd/mm/yyyy"}
    minh_raw = json.loads(minh.raw)  # this row wrote its dates the ISO way: kept as received
    assert (minh_raw["valid_from"], minh_raw["valid_to"]) == ("2025-03-01", "2026-02-28")
    assert card_raw(minh) == dict(zip(CARD_COLUMNS, CARDS[3], strict=True)) | {
        "personal_id": None, "commune": None, "province": None, "address": None, "clinic_code": None}
    assert card_raw(pao) == dict(zip(CARD_COLUMNS, CARDS[0], strict=True)) | {"province": None, "address": None}


def test_card_with_inconsistent_group_and_level_loads_flagged(tmp_path):
    rows = [("1001234567", "DT2101001234567", "", "Giàng A Páo", "1990", "M", "HN", "3", "01/01/2025",
             "31/12/2025", "Xã Mường Bo", "", "", "")]
    cards_import(path=write_cards(tmp_path / "c.csv", rows), as_of=AS_OF)
    flags = Card.objects.get().flags.split(",")
    assert "card_group_mismatch" in flags and "card_level_mismatch" in flags


def test_no_units_yet_is_a_clear_error(tmp_path):
    from everydoor.geo.models import AdminUnit, UnitLineage

    UnitLineage.objects.all().delete()
    AdminUnit.objects.filter(level="commune").delete()
    with pytest.raises(EverydoorError, match="import units"):
        population_import(path=write_population(tmp_path / "p.csv", RESIDENTS), as_of=AS_OF)
    assert ImportBatch.objects.filter(status="done").count() == 0


@pytest.fixture(params=["row_by_row", "bulk"])
def write_path(request, monkeypatch):
    """Both ways of writing: small batches, and the bulk path (Arrow scratch database on SQLite,
    indexes and foreign keys rebuilt after the insert) that large files take."""
    if request.param == "bulk":
        from everydoor.pipeline import loaders
        from everydoor.registry import merge

        monkeypatch.setattr(loaders, "ARROW_ROWS", 1)
        monkeypatch.setattr(merge, "BULK_ROWS", 0)
    return request.param


def test_newer_extract_writes_only_the_changed_residents(tmp_path, write_path):
    first = population_import(path=write_population(tmp_path / "a.csv", RESIDENTS), as_of=AS_OF)
    assert (first.rows_inserted, first.rows_updated) == (4, 0)
    assert not Person.objects.filter(row_hash__isnull=True).exists()
    before = {p.personal_id: p for p in Person.objects.all()}
    newer = list(RESIDENTS)
    newer[1] = newer[1][:4] + ("Hmông",) + newer[1][5:]  # a detail: no history
    newer[2] = newer[2][:7] + ("Tổ dân phố 5",) + newer[2][8:]  # another village: a state change
    batch = population_import(path=write_population(tmp_path / "b.csv", newer), as_of=dt.date(2025, 11, 30))
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_absent) == (0, 2, 0)
    after = {p.personal_id: p for p in Person.objects.all()}
    assert after["010192001235"].ethnicity == "Hmông" and after["010192001235"].batch_id == batch.id
    assert after["015085001236"].village.name == "Tổ dân phố 5"
    for unchanged in ("010090001234", "015160001237"):  # not written at all
        assert after[unchanged].batch_id == first.id and after[unchanged].row_hash == before[unchanged].row_hash
    history = PersonHistory.objects.get(batch=batch)
    assert (history.person_id, history.village_id_at) == (before["015085001236"].id,
                                                          before["015085001236"].village_id)


def test_a_stale_row_hash_is_compared_field_by_field_and_refreshed(tmp_path, write_path):
    population_import(path=write_population(tmp_path / "a.csv", RESIDENTS), as_of=AS_OF)
    hashes = dict(Person.objects.values_list("personal_id", "row_hash"))
    Person.objects.update(row_hash=None)  # e.g. rows written before hashes, or by another Polars version
    batch = population_import(path=write_population(tmp_path / "b.csv", RESIDENTS[::-1]),
                              as_of=dt.date(2025, 11, 30))
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_absent) == (0, 0, 0)
    assert dict(Person.objects.values_list("personal_id", "row_hash")) == hashes
    assert not PersonHistory.objects.exists()


def test_newer_card_extract_updates_changed_cards_and_marks_absent_ones(tmp_path, write_path):
    first = cards_import(path=write_cards(tmp_path / "a.csv", CARDS), as_of=AS_OF)
    assert (first.rows_inserted, first.rows_updated) == (4, 0)
    newer = [CARDS[0][:13] + ("10002",), CARDS[1], CARDS[3]]  # Páo's clinic changed, Mai's card gone
    batch = cards_import(path=write_cards(tmp_path / "b.csv", newer), as_of=dt.date(2025, 11, 30), scope="Lào Cai")
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_absent) == (0, 1, 1)
    assert Card.objects.get(record_key="DT2101001234567|2025-01-01").clinic_code == "10002"
    assert Card.objects.get(record_key="DT2101001234567|2024-01-01").batch_id == first.id  # untouched
    mai = Card.objects.get(si_code="1001234568")
    assert (mai.present, mai.batch_id) == (False, batch.id)  # kept, not deleted
    # listed again later: present once more
    again = cards_import(path=write_cards(tmp_path / "c.csv", CARDS), as_of=dt.date(2025, 12, 31), scope="Lào Cai")
    assert (again.rows_inserted, again.rows_updated, again.rows_absent) == (0, 2, 0)
    assert Card.objects.get(si_code="1001234568").present is True


@pytest.mark.postgres
def test_an_import_merges_with_its_joins_in_memory(tmp_path, monkeypatch):
    from everydoor.pipeline.loaders import JOIN_MEMORY
    from everydoor.registry import merge

    seen, merged = [], merge.cards_merge

    def watched(cursor, *args, **kwargs):
        cursor.execute("SHOW work_mem")
        seen.append(cursor.fetchall()[0][0])
        return merged(cursor, *args, **kwargs)

    monkeypatch.setattr(merge, "cards_merge", watched)
    cards_import(path=write_cards(tmp_path / "a.csv", CARDS), as_of=AS_OF)
    assert seen == [JOIN_MEMORY]


def test_raw_record_gives_back_values_that_need_escaping(tmp_path, write_path):
    row = ("1001234580", "", "", 'Lò "Văn" \\ Ơn', "1970", "M", "HT", "3", "2025-01-01", "31/12/2025",
           "Xã Mường Bo", "Lào Cai", 'Bản "Nà", Xã Mường Bo', "")
    cards_import(path=write_cards(tmp_path / "c.csv", [row]), as_of=AS_OF)
    card = Card.objects.get()
    received = dict(zip(CARD_COLUMNS, row, strict=True)) | {"card_number": None, "personal_id": None,
                                                              "clinic_code": None}
    assert card_raw(card) == received
    assert "valid_from" not in json.loads(card.raw)  # stored as received: not repeated


def test_failed_bulk_import_changes_nothing_and_the_next_one_loads(tmp_path, write_path, monkeypatch):
    from everydoor.registry import merge

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge, "_update_changed", broken)
    population_import(path=write_population(tmp_path / "a.csv", RESIDENTS[:2]), as_of=AS_OF)
    newer = [RESIDENTS[0][:11] + ("Đã chuyển đi", "15/11/2025")] + RESIDENTS[1:]
    with pytest.raises(RuntimeError, match="disk full"):
        population_import(path=write_population(tmp_path / "b.csv", newer), as_of=dt.date(2025, 11, 30))
    assert Person.objects.count() == 2 and not PersonHistory.objects.exists()
    assert ImportBatch.objects.filter(status="failed").count() == 1
    monkeypatch.undo()
    batch = population_import(path=write_population(tmp_path / "b.csv", newer), as_of=dt.date(2025, 11, 30))
    assert (batch.rows_inserted, batch.rows_updated) == (2, 1)


def test_two_rows_of_one_card_period_that_disagree_keep_the_first_and_quarantine_the_other(tmp_path):
    rows = [CARDS[0], CARDS[0][:13] + ("10002",), CARDS[0], CARDS[3]]
    batch = cards_import(path=write_cards(tmp_path / "c.csv", rows), as_of=AS_OF)
    assert (batch.rows_read, batch.rows_loaded, batch.rows_quarantined) == (4, 2, 1)
    assert "1 exact duplicate" in batch.error
    assert Card.objects.get(record_key="DT2101001234567|2025-01-01").clinic_code == "10001"
    bad = QuarantineRow.objects.get(batch=batch)
    assert (bad.row_number, bad.field, bad.reason) == (2, "card_number", "duplicate_record")
    assert json.loads(bad.raw)["clinic_code"] == "10002"



def test_a_bulk_write_with_a_missing_reference_fails_whole():
    """SQLite imports run with foreign keys off (checking them row by row was most of a bulk insert):
    each distinct reference is checked instead, and one row pointing nowhere fails the write."""
    from django.db import IntegrityError, connection, transaction

    from everydoor.geo.models import AdminUnit
    from everydoor.pipeline import loaders

    commune = AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE).first()
    frame = pl.DataFrame({"code": ["HH-OK", "HH-BAD"], "commune_id": [commune.id, 987654321]})
    with (pytest.raises(IntegrityError) as failure, loaders.bulk_writes(), transaction.atomic(),
          connection.cursor() as cursor):
        loaders.insert_rows(cursor, frame, "registry_household")
        if loaders.is_postgres():  # PostgreSQL checks its own (deferred) keys
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    if not loaders.is_postgres():
        assert "registry_household.commune_id refers to geo_adminunit rows that do not exist: [987654321]" in str(
            failure.value)
    assert not Household.objects.exists()


@pytest.mark.parametrize("collide", [False, True])
def test_repeated_record_keys_are_found_exactly_even_when_hashes_collide(collide, monkeypatch):
    keys = pl.Series("record_key", ["a|2025", "b|2025", "a|2025", None, "c|2024", None, "b|2025", "a|2025"])
    if collide:
        monkeypatch.setattr(pl.Series, "hash", lambda self, *a, **k: pl.Series([7] * len(self), dtype=pl.UInt64))
    repeated = _repeated_keys(keys)
    assert repeated["first"].to_list() == [True, True, False, True, True, False, False, False]
    assert repeated["shared"].to_list() == [True, True, True, True, False, True, True, True]
