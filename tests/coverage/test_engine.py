"""Every level of the materialised facts agrees with an independent ORM count."""

import datetime as dt

import pytest
from django.db.models import Exists, OuterRef, Q

from everydoor.coverage.models import CoverageFact
from everydoor.coverage.services import coverage_compute
from everydoor.registry.models import Card, Person
from tests.coverage.conftest import AS_OF

DATES = [AS_OF, dt.date(2024, 10, 31), dt.date(2025, 3, 1)]


def resident_q(day):
    born = Q(dob__lte=day) | Q(dob__isnull=True, dob_year__lte=day.year)
    living = Q(status="resident") & (Q(status_date__isnull=True) | Q(status_date__lte=day))
    left = Q(status__in=["moved_out", "deceased"], status_date__gt=day)
    return born & (living | left)


def valid_q(day, prefix=""):
    return Q(**{f"{prefix}valid_from__lte": day, f"{prefix}valid_to__gte": day})


def orm_counts(day, person_filter: Q, card_filter: Q) -> tuple[int, int, int]:
    residents = Person.objects.filter(resident_q(day)).filter(person_filter)
    valid_linked = Card.objects.filter(valid_q(day), link__person=OuterRef("pk"))
    insured = residents.filter(Exists(valid_linked)).count()
    cards = Card.objects.filter(valid_q(day)).filter(card_filter).count()
    return residents.count(), insured, cards


def fact(day, level, code):
    return CoverageFact.objects.get(as_of=day, level=level, area_code=code, dimension="")


def card_in(communes):
    return Q(commune__in=communes) | Q(commune__isnull=True, link__person__commune__in=communes)


@pytest.mark.parametrize("day", DATES)
def test_every_level_agrees_with_an_orm_count(world, day):
    result = coverage_compute(as_of=day)
    assert result["facts"] > 0
    communes = world["communes"]
    expected = {("province", world["province"].code): orm_counts(day, Q(), Q()),
                ("agency_unit", "BT"): orm_counts(day, Q(commune__in=communes[1:]), card_in(communes[1:]))}
    for com in communes:
        expected[("commune", com.code)] = orm_counts(day, Q(commune=com), card_in([com]))
        for vil in world["villages"][com.pk]:
            card_vil = Q(link__person__village=vil) & (Q(commune__isnull=True) | Q(commune=com))
            expected[("village", vil.code)] = orm_counts(day, Q(village=vil), card_vil)
    for (level, code), (residents, insured, cards) in expected.items():
        got = CoverageFact.objects.filter(as_of=day, level=level, area_code=code, dimension="").first()
        got_counts = (got.residents, got.insured_residents, got.cards) if got else (0, 0, 0)
        assert got_counts == (residents, insured, cards), (level, code)


def test_identity_and_breakdowns_sum_to_totals(world):
    coverage_compute(as_of=AS_OF)
    totals = {(f.level, f.area_code): f for f in CoverageFact.objects.filter(as_of=AS_OF, dimension="")}
    assert totals
    for f in CoverageFact.objects.filter(as_of=AS_OF):
        assert f.cards == (f.insured_residents + f.non_resident_cards + f.unlinked_cards + f.duplicate_cards
                           + f.other_area_cards)
    for dimension in ("payer_group", "group_code", "age_band", "age5", "sex", "ethnicity"):
        for (level, code), total in totals.items():
            if level == "village":
                continue
            rows = CoverageFact.objects.filter(as_of=AS_OF, level=level, area_code=code, dimension=dimension)
            for measure in ("residents", "insured_residents", "cards", "duplicate_cards"):
                assert sum(getattr(r, measure) for r in rows) == getattr(total, measure), (level, code, dimension)


def test_recompute_replaces_the_dates_facts(world):
    first = coverage_compute(as_of=AS_OF)
    second = coverage_compute(as_of=AS_OF)
    assert CoverageFact.objects.filter(as_of=AS_OF).count() == first["facts"] == second["facts"]
