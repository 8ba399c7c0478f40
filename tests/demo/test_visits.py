"""The demo's simulated month of visits on a small village: real service for some (with retries), bulk for
the rest; enrolments confirmed by the cards that start in October; register moves reported."""

import datetime as dt

import pytest

from everydoor.campaign.models import FieldReview, Visit, VisitMember
from everydoor.campaign.visits import content_hash
from everydoor.demo import visits as demo
from tests import factories as f
from tests.campaign import world

pytestmark = pytest.mark.django_db


def test_a_month_of_visits(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    w = world.build()
    officer = world.officer(villages=[w.village, w.other_village], since=dt.date(2025, 9, 30))
    # the son's card starts on 15 October: his household is visited before it, and the enrolment confirmed
    world.linked_card(w.a_son, group="GD", valid_from=dt.date(2025, 10, 15), valid_to=dt.date(2026, 10, 14))
    mover = f.person(full_name="Thào A Chạy", personal_id="010199999999", hh=w.e, status="moved_out",
                     status_date=dt.date(2025, 10, 12))
    monkeypatch.setattr(demo, "OTHER_SHARE", 1.0)
    monkeypatch.setattr(demo, "ENROL_SHARE", 1.0)
    monkeypatch.setattr(demo, "GONE_SHARE", 1.0)
    monkeypatch.setattr(demo, "THROUGH_SERVICE", 2)
    monkeypatch.setattr(demo, "RETRY_SHARE", 1.0)
    result = demo.demo_visits(seed=1, step=lambda _m: None)

    assert result["through_service"] == result["retried"] == 2 and result["refused_by_service"] == 0
    visits = Visit.objects.filter(source="demo")
    assert result["visits"] == visits.count() == visits.values("uuid").distinct().count()
    assert all(demo.START <= v.visited_at.date() <= demo.END and v.officer == officer for v in visits)
    enrolled = visits.get(household=w.a, outcome="enrolled")
    assert enrolled.visited_at.date() <= dt.date(2025, 10, 15)
    assert VisitMember.objects.get(visit=enrolled, person=w.a_son).confirmed_card is not None
    assert result["confirmed"] + VisitMember.objects.filter(confirmed_card__isnull=False).count() >= 1
    moved = visits.get(outcome="moved_away")
    assert moved.household == w.e and moved.visited_at.date() > dt.date(2025, 10, 12)
    assert FieldReview.objects.get(visit=moved).person == mover
    for visit in visits.filter(outcome="refused"):
        assert visit.reason in demo.REASONS
    # the bulk rows carry the hash the service would compute: a phone's retry of them is recognised
    from everydoor.campaign.visits import VisitInput, _clean, visit_record

    bulk = visits.exclude(outcome__in=["moved_away", "deceased"]).order_by("id").first()
    members = list(bulk.members.values_list("person_id", flat=True))
    data = VisitInput(uuid=str(bulk.uuid), household=bulk.household.code, visited_at=bulk.visited_at,
                      outcome=bulk.outcome, reason=bulk.reason, members=members, follow_up=bulk.follow_up)
    assert content_hash(_clean(data), officer.pk) == bulk.content_hash
    assert visit_record(data=data, officer=officer)[1] is False
