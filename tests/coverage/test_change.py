"""The change decomposition adds up exactly, and to the difference of the facts."""

import datetime as dt

import pytest

from everydoor.coverage import engine
from everydoor.coverage.change import PARTS, change_explain, change_frames
from everydoor.coverage.services import coverage_compute
from tests.coverage.conftest import AS_OF
from tests.coverage.synthetic import world_frames


def _total(facts, level, code, measure):
    rows = facts.filter((facts["level"] == level) & (facts["area_code"] == code) & (facts["dimension"] == ""))
    return rows[measure].sum() if rows.height else 0


@pytest.mark.parametrize(("seed", "corrections"), [(s, 0.0) for s in range(6)] + [(6, 0.05), (7, 0.1)])
def test_parts_add_up_to_the_change_in_facts_on_random_data(seed, corrections):
    data = world_frames(seed, field_corrections=corrections)
    d1, d2 = dt.date(2024, 10, 31), dt.date(2025, 10, 31)
    f1, f2 = engine.facts_frame(data, d1), engine.facts_frame(data, d2)
    scopes = [("province", "15", {"commune_ids": [1, 2, 3, 4]}), ("commune", "C2", {"commune_ids": [2]}),
              ("agency_unit", "U1", {"commune_ids": [1, 2]}), ("village", "V104", {"commune_ids": [], "village_id": 104})]
    for level, code, scope in scopes:
        result = change_frames(data, d1, d2, **scope)
        for measure, key in (("cards", "cards"), ("insured_residents", "insured_residents")):
            part = result[key]
            assert set(part["parts"]) == set(PARTS)
            assert sum(part["parts"].values()) == part["total"]
            expected = _total(f2, level, code, measure) - _total(f1, level, code, measure)
            assert part["total"] == expected, (seed, level, measure)
            if not corrections:
                assert part["parts"]["field_corrections"] == 0
        if corrections and level == "province":
            assert result["insured_residents"]["parts"]["field_corrections"] <= 0  # never adds anyone


def test_lapses_deaths_and_renewals_are_named(db):
    from everydoor.linkage.models import Link
    from tests import factories as f

    com = f.commune()
    d1, d2 = dt.date(2024, 10, 31), dt.date(2025, 10, 31)
    lapsed = f.person(com=com)
    dead = f.person(com=com, status="deceased", status_date=dt.date(2025, 3, 1))
    renewed = f.person(com=com)
    newborn = f.person(com=com, dob=dt.date(2025, 2, 1))
    cards = [
        (f.card(group_code="GD", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31)), lapsed),
        (f.card(group_code="DK", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31)), dead),
        (f.card(group_code="DK", valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31)), renewed),
        (f.card(group_code="GD", payer_group="household", valid_from=dt.date(2025, 1, 1),
                valid_to=dt.date(2025, 12, 31)), renewed),
        (f.card(group_code="TE", valid_from=dt.date(2025, 2, 1), valid_to=dt.date(2025, 12, 31)), newborn),
    ]
    Link.objects.bulk_create(Link(card=c, person=p, method="personal_id") for c, p in cards)
    f.card(valid_from=dt.date(2025, 5, 1), valid_to=dt.date(2026, 4, 30), com=com)  # unlinked, new
    result = change_explain(area=com, date_from=d1, date_to=d2)
    assert result["total"] == 0
    assert {k: v for k, v in result["parts"].items() if v} == {"lapses": -1, "deaths": -1, "births": 1,
                                                              "new_enrolments": 1}
    assert result["flows"] == {"renewals": 1, "renewed_other_payer_group": 1}
    assert result["insured_residents"]["parts"]["deaths"] == -1
    assert result["insured_residents"]["total"] == -1


def test_change_matches_materialised_facts(world):
    d1 = dt.date(2024, 10, 31)
    coverage_compute(as_of=d1)
    coverage_compute(as_of=AS_OF)
    from everydoor.coverage.models import CoverageFact

    for com in world["communes"]:
        result = change_explain(area=com, date_from=d1, date_to=AS_OF)
        before = CoverageFact.objects.get(as_of=d1, level="commune", area_code=com.code, dimension="")
        after = CoverageFact.objects.get(as_of=AS_OF, level="commune", area_code=com.code, dimension="")
        assert result["total"] == after.cards - before.cards == sum(result["parts"].values())
        ins = result["insured_residents"]
        assert ins["total"] == after.insured_residents - before.insured_residents
