"""A small province whose registers hold one case of each lapse reason, built through the real import
services (certificates, list statuses) and factories (residents, cards, links)."""

import datetime as dt
import random

import pytest

from everydoor.geo.statuses import area_statuses_import
from everydoor.linkage.models import Link
from everydoor.registry.certificates import certificates_import
from everydoor.registry.models import Card, Household, Person
from tests import factories as f

AS_OF = dt.date(2025, 10, 31)
UNTIL = dt.date(2026, 1, 1)
PAYERS = {"GD": "household", "HN": "state_budget", "DT": "state_budget", "TE": "state_budget", "DN": "employer_employee",
          "HS": "budget_supported", "CN": "budget_supported"}


def _card(person, group, start, end, com, si_code=None):
    card = f.card(group_code=group, payer_group=PAYERS[group], valid_from=start, valid_to=end, com=com,
                  dob=person.dob if person else dt.date(1980, 1, 1), si_code=si_code)
    if person is not None:
        Link.objects.create(card=card, person=person, method="personal_id")
    return card


def build(tmp_path) -> dict:
    prov = f.province()
    leaving = f.commune("Xã Mường Bo", code="90001", prov=prov)
    staying = f.commune("Xã Bản Hồ", code="90002", prov=prov)
    village_a, village_b = f.village("Thôn Một", com=leaving), f.village("Thôn Hai", com=staying)
    poor = f.household(leaving, village_a, code="HKPOOR")
    minority = f.household(leaving, village_a, code="HKDT")
    kinh = f.household(staying, village_b, code="HKKINH")
    p = {
        "poor_adult": f.person(full_name="Giàng A Páo", dob=dt.date(1980, 3, 1), hh=poor, ethnicity="Mông"),
        "child": f.person(full_name="Giàng Thị Mai", dob=dt.date(2019, 12, 10), hh=poor, ethnicity="Mông"),
        "minority": f.person(full_name="Lý Văn Sơn", dob=dt.date(1975, 6, 1), hh=minority, ethnicity="Dao"),
        "household": f.person(full_name="Nguyễn Văn An", dob=dt.date(1985, 1, 1), hh=kinh, ethnicity="Kinh"),
        "renewed": f.person(full_name="Nguyễn Thị Bình", dob=dt.date(1987, 1, 1), hh=kinh, ethnicity="Kinh"),
        "employee": f.person(full_name="Trần Văn Cường", dob=dt.date(1990, 1, 1), hh=kinh, ethnicity="Kinh"),
    }
    cards = {
        "poor_adult": _card(p["poor_adult"], "HN", dt.date(2025, 1, 1), dt.date(2025, 12, 31), leaving),
        "child": _card(p["child"], "TE", dt.date(2019, 12, 10), dt.date(2025, 12, 9), leaving),
        "minority": _card(p["minority"], "DT", dt.date(2025, 1, 1), dt.date(2026, 12, 31), leaving),
        "household": _card(p["household"], "GD", dt.date(2025, 1, 1), dt.date(2025, 11, 30), staying),
        "renewed": _card(p["renewed"], "GD", dt.date(2024, 12, 1), dt.date(2025, 11, 30), staying, si_code="1500000777"),
        "employee": _card(p["employee"], "DN", dt.date(2025, 1, 1), dt.date(2026, 6, 30), staying),
        "unlinked": _card(None, "GD", dt.date(2025, 1, 1), dt.date(2025, 12, 15), staying),
    }
    _card(p["renewed"], "GD", dt.date(2025, 12, 1), dt.date(2026, 11, 30), staying, si_code="1500000777")
    _history(staying)
    (tmp_path / "certificates.csv").write_text(
        "household_code,kind,valid_from,valid_to\nHKPOOR,poor,2022-01-01,2025-12-31\n", encoding="utf-8")
    certificates_import(path=tmp_path / "certificates.csv", actor="test")
    (tmp_path / "statuses.csv").write_text(
        "commune,status,effective_from,effective_to,source\n"
        "90001,especially_difficult,2021-06-04,2025-11-30,Decision A\n", encoding="utf-8")
    area_statuses_import(path=tmp_path / "statuses.csv", actor="test")
    return {"province": prov, "leaving": leaving, "staying": staying, "village_a": village_a, "persons": p,
            "cards": cards}


def _history(commune, n: int = 160) -> None:
    """Past household cards in another village: most renewed on time, every third holder less often, so that
    the risk model and the renewal rates have something to learn. Written in bulk (one insert per table)."""
    rng = random.Random(3)
    village = f.village("Thôn Ba", com=commune)
    batch, card_batch = f.batch(), f.batch("cards")
    households = Household.objects.bulk_create(
        Household(code=f"HKH{i:04d}", commune=commune, village=village) for i in range(n))
    persons = Person.objects.bulk_create(
        Person(record_key=f"h{i}", full_name=f"Người {i}", name_key=f"nguoi {i}", dob_year=1960 + i % 40,
               dob_month=1 + i % 12, dob_day=1 + i % 28, dob=dt.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
               sex="M", ethnicity="Kinh", household=hh, commune=commune, village=village, batch=batch)
        for i, hh in enumerate(households))
    cards, holders = [], []
    for i, person in enumerate(persons):
        start = dt.date(2024, 1 + i % 10, 1)
        end = dt.date(start.year + 1, start.month, 1) - dt.timedelta(days=1)
        spans = [(start, end)]
        if rng.random() < (0.8 if i % 3 else 0.3):
            spans.append((end + dt.timedelta(days=1), dt.date(end.year + 1, end.month, end.day)))
        for begin, finish in spans:
            si_code = f"14{i + 1:08d}"
            cards.append(Card(record_key=f"GD41{si_code}|{begin}", card_number=f"GD415{si_code}", si_code=si_code,
                              full_name=person.full_name, name_key=person.name_key, dob=person.dob,
                              dob_year=person.dob_year, sex="M", group_code="GD", benefit_level=4,
                              payer_group="household", valid_from=begin, valid_to=finish, commune=commune,
                              batch=card_batch))
            holders.append(person)
    cards = Card.objects.bulk_create(cards)
    Link.objects.bulk_create(Link(card=c, person=p, method="personal_id") for c, p in zip(cards, holders, strict=True))


@pytest.fixture
def world(db, tmp_path):
    return build(tmp_path)
