"""Field review: a "moved away" accepted marks the resident and coverage (facts and change) follows;
confirmations of claimed enrolments; the denominator ladder."""

import datetime as dt
import json
import uuid

import pytest
from typer.testing import CliRunner

from everydoor.accounts.models import AuditEvent
from everydoor.campaign.confirmations import visits_confirm
from everydoor.campaign.field_review import field_review_decide, field_reviews, unmatched_cards
from everydoor.campaign.ladder import ladder
from everydoor.campaign.models import VisitMember
from everydoor.campaign.visits import VisitInput, visit_record
from everydoor.campaign.worklist import worklist, worklist_scope
from everydoor.cli.app import app
from everydoor.core.errors import EverydoorError
from everydoor.coverage.change import change_explain
from everydoor.coverage.models import CoverageFact
from everydoor.coverage.services import coverage_compute
from everydoor.registry.models import Person
from tests.campaign import world
from tests.campaign.world import AS_OF

pytestmark = pytest.mark.django_db
VISIT_DAY = "2025-10-20T09:00:00+07:00"


@pytest.fixture
def w(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the columnar copy of this test's registers
    w = world.build()
    w.officer = world.officer(villages=[w.village])
    return w


def record(w, household, outcome, members, **extra):
    data = VisitInput(uuid=str(uuid.uuid4()), household=household, visited_at=VISIT_DAY, outcome=outcome,
                      members=[m.pk for m in members], **extra)
    return visit_record(data=data, officer=w.officer)[0]


def village_fact(w, day=AS_OF):
    coverage_compute(as_of=day)
    fact = CoverageFact.objects.get(as_of=day, level="village", area_code=w.village.code, dimension="")
    return fact.residents, fact.insured_residents


def test_accepted_moved_away_leaves_coverage_from_the_visit_day(w):
    record(w, "HH-A", "moved_away", [w.a_head])  # insured: both residents and insured residents drop
    record(w, "HH-D", "moved_away", [w.d_one])
    residents, insured = village_fact(w)
    change_before = change_explain(area=w.village, date_from=dt.date(2025, 10, 1), date_to=AS_OF)
    pending = field_reviews(area=w.commune)
    assert [(r["name"], r["kind"], r["visited_on"]) for r in pending] == [
        ("Giàng A Páo", "moved_away", dt.date(2025, 10, 20)), ("Thào A Dình", "moved_away", dt.date(2025, 10, 20))]
    assert field_reviews(area=w.other_village) == []

    accepted = field_review_decide(review_id=pending[0]["id"], accept=True, actor="manager")
    field_review_decide(review_id=pending[1]["id"], accept=False, actor="manager")
    head = Person.objects.get(pk=w.a_head.pk)  # marked, never deleted
    assert (head.field_status, head.field_status_date, head.status) == ("moved_away", dt.date(2025, 10, 20),
                                                                        "resident")
    assert accepted["status"] == "accepted" and Person.objects.get(pk=w.d_one.pk).field_status is None
    assert AuditEvent.objects.filter(action="field_review", object_id=str(w.a_head.pk)).count() == 1

    assert village_fact(w) == (residents - 1, insured - 1)
    assert village_fact(w, dt.date(2025, 10, 19)) == village_fact(w, dt.date(2025, 10, 19))  # before: unchanged
    change = change_explain(area=w.village, date_from=dt.date(2025, 10, 1), date_to=AS_OF)
    assert change_before["insured_residents"]["parts"]["field_corrections"] == 0
    assert change["insured_residents"]["parts"]["field_corrections"] == -1
    assert change["insured_residents"]["total"] == change_before["insured_residents"]["total"] - 1
    assert change["total"] == change_before["total"]  # the card itself is still valid: card counts unchanged

    listed = {m["person_id"] for v in worklist(scope=worklist_scope(village=w.village, on=AS_OF), as_of=AS_OF)
              ["villages"] for h in v["households"] for m in h["members"]}
    assert w.a_head.pk not in listed
    with pytest.raises(EverydoorError, match="already accepted"):
        field_review_decide(review_id=pending[0]["id"], accept=False, actor="manager")


def test_field_review_cli(w):
    record(w, "HH-D", "deceased", [w.d_one])
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["field-review", "list", "--area", w.commune.code, "--json"]).stdout)
    assert [r["kind"] for r in listed["reviews"]] == ["deceased"]
    result = runner.invoke(app, ["field-review", "accept", str(listed["reviews"][0]["id"]), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "accepted"
    assert Person.objects.get(pk=w.d_one.pk).field_status == "deceased"
    result = runner.invoke(app, ["field-review", "reject", "999999"])
    assert result.exit_code == 1 and "no field review" in result.stderr
    # a visit about the deceased resident is now refused with its code
    with pytest.raises(EverydoorError) as caught:
        record(w, "HH-D", "promised", [w.d_one])
    assert caught.value.code == "resident_deceased"


def test_enrolments_are_confirmed_by_a_later_card(w):
    record(w, "HH-A", "enrolled", [w.a_son, w.a_wife])
    assert visits_confirm() == {"pending": 2, "confirmed": 0}
    world.linked_card(w.a_wife, group="GD", valid_from=dt.date(2025, 8, 1), valid_to=dt.date(2026, 7, 31))  # too early
    card = world.linked_card(w.a_son, group="GD", valid_from=dt.date(2025, 10, 25), valid_to=dt.date(2026, 10, 24))
    assert visits_confirm() == {"pending": 2, "confirmed": 1}
    son = VisitMember.objects.get(person=w.a_son)
    assert son.confirmed_card_id == card.pk and son.confirmed_at is not None
    assert VisitMember.objects.get(person=w.a_wife).confirmed_card_id is None
    assert visits_confirm() == {"pending": 1, "confirmed": 0}
    result = CliRunner().invoke(app, ["visits", "confirm", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {"pending": 1, "confirmed": 0}


def test_unmatched_card_numbers_are_listed(w):
    record(w, "HH-A", "insured_elsewhere", [w.a_son], card_number="GD4151599999999")
    assert [c["card_number"] for c in unmatched_cards(area=w.commune)] == ["GD4151599999999"]


def test_ladder(w):
    record(w, "HH-A", "promised", [w.a_son], follow_up="2025-11-10")
    record(w, "HH-D", "moved_away", [w.d_one])
    record(w, "HH-E", "not_at_home", [])
    result = ladder(area=w.commune, as_of=AS_OF)
    village = next(v for v in result["villages"] if v["code"] == w.village.code)
    # on the register: as it says, field corrections included (the ladder shows what the field finds)
    registered = Person.objects.filter(household__village=w.village, status="resident").count()
    # HH-A (4 residents) and HH-D (1, reported gone) found; HH-E visited, nobody home
    assert village == {"code": w.village.code, "name": w.village.name, "commune": w.commune.code,
                       "residents": registered, "households": 5, "households_visited": 3, "households_found": 2,
                       "residents_confirmed": 4, "insured_confirmed": 1}
    assert result["communes"][0]["residents"] == result["total"]["residents"] == registered + 1  # + HH-F
    with pytest.raises(EverydoorError):
        ladder(area=w.village, as_of=AS_OF)
    runner = CliRunner()
    document = json.loads(runner.invoke(app, ["ladder", "--area", w.commune.code, "--as-of", "2025-11-03",
                                              "--json"]).stdout)
    assert document["total"]["households_found"] == 2
