"""Field-level defects flag, row-level defects quarantine: a record with a usable identity and place
is never lost to a bad secondary field (real files, through the real import, on both databases)."""

import datetime as dt
import json

import polars as pl
import pytest

from everydoor.linkage.models import Link
from everydoor.linkage.quality import dq_lists
from everydoor.linkage.services import link_run
from everydoor.registry.models import Card, Household, Person, QuarantineRow
from everydoor.registry.selectors import card_raw
from everydoor.registry.services import cards_import, import_summary, population_import

from .test_imports import AS_OF, CARD_HEADER, HEADER_VI, write_cards, write_population

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("units")]

GOOD = ("010090001234", "Giàng A Páo", "17/05/1990", "Nam", "Mông", "HH1", "Chủ hộ", "Thôn Nậm Cang",
        "Xã Mường Bo", "", "", "", "")


def resident(**changes) -> tuple:
    row = dict(zip(HEADER_VI, GOOD, strict=True)) | changes
    return tuple(row.values())


# field -> (value received, the row's personal ID, reason)
RESIDENT_DEFECTS = {
    "personal_id": ("01009000123", None),  # 11 digits: the resident is keyed by household and name
    "full_name": ("", "010090002002"),
    "date_of_birth": ("29/02/1990", "010090002003"),  # not a leap year
    "sex": ("X", "010090002004"),
    "status": ("lưu trú dài hạn", "010090002005"),
    "status_date": ("45/13/2025", "010090002006"),
}
_HEADERS = {"personal_id": "Số định danh cá nhân", "full_name": "Họ và tên", "date_of_birth": "Ngày sinh",
            "sex": "Giới tính", "status": "Tình trạng", "status_date": "Ngày thay đổi"}


@pytest.mark.parametrize("field", list(RESIDENT_DEFECTS))
def test_a_bad_field_of_a_resident_loads_empty_flagged_and_listed(tmp_path, field):
    value, personal_id = RESIDENT_DEFECTS[field]
    changes = {_HEADERS[field]: value}
    if personal_id:
        changes["Số định danh cá nhân"] = personal_id
    path = write_population(tmp_path / "dan_cu.csv", [resident(**changes)])
    batch = population_import(path=path, as_of=AS_OF)
    assert (batch.rows_loaded, batch.rows_quarantined) == (1, 0)
    assert import_summary(batch)["rows_flagged_by_field"] == {field: 1}
    person = Person.objects.get()
    assert f"invalid_{field}" in person.flags.split(",")
    assert json.loads(person.received) == {field: value or None}
    emptied = {"personal_id": person.personal_id, "full_name": person.full_name, "sex": person.sex,
               "date_of_birth": (person.dob, person.dob_year, person.dob_month, person.dob_day),
               "status": person.status, "status_date": person.status_date}[field]
    assert emptied in (None, "", (None, None, None, None), "resident")
    listed = dq_lists(commune_ids=[person.commune_id])["invalid_fields"]
    assert listed.select("record", "reference", "field", "received").rows() == [
        ("resident", "HH1", field, value or None)]


def test_a_resident_born_after_the_extract_loads_without_a_date_of_birth(tmp_path):
    path = write_population(tmp_path / "p.csv", [resident(**{"Ngày sinh": "03/01/2026"})])
    batch = population_import(path=path, as_of=AS_OF)
    person = Person.objects.get()
    assert (batch.rows_loaded, person.dob_year, person.received) == (1, None, '{"date_of_birth":"03/01/2026"}')


def test_a_resident_without_a_usable_date_of_birth_counts_in_coverage(tmp_path):
    from everydoor.coverage.models import CoverageFact
    from everydoor.coverage.services import coverage_compute

    population_import(path=write_population(tmp_path / "p.csv", [resident(**{"Ngày sinh": "1990-13-45"})]),
                      as_of=AS_OF)
    coverage_compute(as_of=AS_OF)
    total = CoverageFact.objects.get(as_of=AS_OF, level="province", dimension="")
    assert total.residents == 1


def test_household_phone_is_read_written_and_kept(tmp_path):
    header = [*HEADER_VI, "Số điện thoại"]
    rows = [(*GOOD, "0912 345 678"), (*resident(**{"Số định danh cá nhân": "010192001235", "Mã hộ": "HH2"}), "12ab")]
    batch = population_import(path=write_population(tmp_path / "a.csv", rows, header=header), as_of=AS_OF)
    phones = dict(Household.objects.values_list("code", "phone"))
    assert phones == {"HH1": "0912345678", "HH2": None}
    assert batch.flagged_fields == {"phone": 1}
    assert json.loads(Person.objects.get(personal_id="010192001235").received) == {"phone": "12ab"}
    # a newer extract without a phone keeps the one known; one with another number writes it
    rows = [(*GOOD, ""), (*resident(**{"Số định danh cá nhân": "010192001235", "Mã hộ": "HH2"}), "+84 20 3388 1234")]
    population_import(path=write_population(tmp_path / "b.csv", rows, header=header), as_of=dt.date(2025, 11, 30))
    assert dict(Household.objects.values_list("code", "phone")) == {"HH1": "0912345678", "HH2": "+842033881234"}


CARD = ("1001234567", "DT2101001234567", "010090001234", "Giàng A Páo", "17/05/1990", "Nam", "DT", "2",
        "01/01/2025", "31/12/2025", "Xã Mường Bo", "", "", "10001")


def card(**changes) -> tuple:
    row = dict(zip(CARD_HEADER, CARD, strict=True)) | changes
    return tuple(row.values())


_CARD_HEADERS = {"card_number": "Mã thẻ", "si_code": "Mã số BHXH", "personal_id": "Số định danh cá nhân",
                 "full_name": "Họ và tên", "date_of_birth": "Ngày sinh", "sex": "Giới tính",
                 "benefit_level": "Mức hưởng"}
CARD_DEFECTS = {
    "card_number": "DT9101001234567",  # level 9: the SI code still identifies the card
    "si_code": "10012345",  # 8 digits: the card number gives it
    "personal_id": "0100900012",
    "full_name": "",
    "date_of_birth": "29/02/1990",
    "sex": "?",
    "benefit_level": "7",
}


@pytest.mark.parametrize("field", list(CARD_DEFECTS))
def test_a_bad_field_of_a_card_loads_empty_flagged_and_listed(tmp_path, field):
    value = CARD_DEFECTS[field]
    batch = cards_import(path=write_cards(tmp_path / "the.csv", [card(**{_CARD_HEADERS[field]: value})]),
                         as_of=AS_OF)
    assert (batch.rows_loaded, batch.rows_quarantined) == (1, 0)
    assert batch.flagged_fields == {field: 1}
    loaded = Card.objects.get()
    assert f"invalid_{field}" in loaded.flags.split(",")
    stored = {"card_number": loaded.card_number, "si_code": loaded.si_code, "personal_id": loaded.personal_id,
              "full_name": loaded.full_name, "sex": loaded.sex, "benefit_level": loaded.benefit_level,
              "date_of_birth": (loaded.dob, loaded.dob_year, loaded.dob_month, loaded.dob_day)}[field]
    # emptied, or (SI code, benefit level) as the well-formed card number gives them
    assert stored in ("", (None, None, None, None), "1001234567", 2)
    assert card_raw(loaded)[field] == (value or None)  # the record as received, whole
    listed = dq_lists(commune_ids=[loaded.commune_id])["invalid_fields"]
    assert listed.select("record", "field", "received").rows() == [("card", field, value or None)]


def test_cards_with_bad_dates_of_birth_keep_their_place_in_coverage_and_linkage(tmp_path):
    """The case of the issue: two impossible dates of birth in a card extract lost two valid cards."""
    population_import(path=write_population(tmp_path / "p.csv", [
        GOOD, resident(**{"Số định danh cá nhân": "010192001235", "Họ và tên": "Sùng Thị Mai", "Ngày sinh": "1992",
                          "Giới tính": "Nữ"})]), as_of=AS_OF)
    rows = [card(**{"Ngày sinh": "29/02/1990"}),
            card(**{"Mã số BHXH": "1001234568", "Mã thẻ": "DT2101001234568", "Số định danh cá nhân": "",
                    "Họ và tên": "Sùng Thị Mai", "Ngày sinh": "31/02/1992", "Giới tính": "Nữ"})]
    batch = cards_import(path=write_cards(tmp_path / "c.csv", rows), as_of=AS_OF)
    assert (batch.rows_read, batch.rows_loaded, batch.rows_quarantined) == (2, 2, 0)
    assert batch.flagged_fields == {"date_of_birth": 2}
    link_run()
    links = dict(Link.objects.values_list("card__si_code", "person__personal_id"))
    assert links["1001234567"] == "010090001234"  # by personal ID, the date of birth aside


ROW_LEVEL = [
    # (changes, [(field, reason)])
    ({"Mã thẻ": "DT9101001234567", "Mã số BHXH": "10012345"},
     [("card_number", "bad_benefit_level"), ("si_code", "bad_length")]),
    ({"Mã thẻ": "", "Mã số BHXH": ""}, [("card_number", "required")]),
    ({"Giá trị từ ngày": "31/02/2025"}, [("valid_from", "impossible_date")]),
    ({"Giá trị đến ngày": ""}, [("valid_to", "required")]),
    ({"Xã": "Xã Không Tồn Tại"}, [("commune", "unresolvable_commune")]),
]


@pytest.mark.parametrize(("changes", "expected"), ROW_LEVEL)
def test_a_card_without_identity_validity_or_place_is_quarantined(tmp_path, changes, expected):
    batch = cards_import(path=write_cards(tmp_path / "c.csv", [CARD, card(**changes)]), as_of=AS_OF)
    assert (batch.rows_loaded, batch.rows_quarantined) == (1, 1)
    found = sorted(QuarantineRow.objects.filter(batch=batch).values_list("field", "reason"))
    assert found == sorted(expected)


def test_a_file_of_many_rows_counts_its_flags_by_field(tmp_path):
    ids = [f"0100900{n:05d}" for n in range(300)]
    frame = pl.DataFrame([resident(**{"Số định danh cá nhân": i, "Ngày sinh": "31/04/1990" if n % 3 == 0 else "1990",
                                      "Giới tính": "?" if n % 5 == 0 else "Nam"}) for n, i in enumerate(ids)],
                         schema=HEADER_VI, orient="row")
    frame.write_csv(tmp_path / "p.csv")
    batch = population_import(path=tmp_path / "p.csv", as_of=AS_OF)
    assert (batch.rows_loaded, batch.rows_quarantined) == (300, 0)
    assert batch.flagged_fields == {"date_of_birth": 100, "sex": 60}
    assert batch.rows_flagged == 300  # the others carry partial_dob


def test_a_resident_without_a_readable_date_of_birth_is_on_the_work_list(tmp_path):
    from everydoor.campaign.worklist import worklist, worklist_scope
    from everydoor.geo.models import AdminUnit

    rows = [GOOD, resident(**{"Số định danh cá nhân": "010192001235", "Họ và tên": "Sùng Thị Mai",
                              "Ngày sinh": "29/02/1991", "Giới tính": "Nữ", "Quan hệ với chủ hộ": "Vợ"})]
    population_import(path=write_population(tmp_path / "p.csv", rows), as_of=AS_OF)
    village = AdminUnit.objects.get(level="village", name="Thôn Nậm Cang")
    result = worklist(scope=worklist_scope(village=village, on=AS_OF), as_of=AS_OF)
    listed = {m["name"]: m for v in result["villages"] for h in v["households"] for m in h["members"]}
    assert listed["Sùng Thị Mai"]["standing"] == "uninsured" and listed["Sùng Thị Mai"]["dob"] == ""
