"""Work lists on a small village built through the factories: who is listed, why, entitlements, premium, order."""

import datetime as dt
import json
import re
import uuid

import polars as pl
import pytest
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from typer.testing import CliRunner

from everydoor.accounts.models import AuditEvent
from everydoor.campaign.models import Visit, VisitMember
from everydoor.campaign.worklist import worklist, worklist_scope
from everydoor.campaign.worklist_export import worklist_export
from everydoor.cli.app import app
from everydoor.core.errors import EverydoorError
from everydoor.linkage.models import Link
from everydoor.registry.models import Person
from everydoor.rules.premium import household_premium
from tests.campaign import world
from tests.campaign.world import AS_OF

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world.build()


def independent_uninsured(village, on):
    """Residents of the village's households with no linked card valid on the date in the province."""
    valid_here = Link.objects.filter(person=OuterRef("pk"), card__valid_from__lte=on, card__valid_to__gte=on).filter(
        Q(card__commune__isnull=True) | Q(card__commune__province_code=village.province_code))
    people = Person.objects.filter(household__village=village, status="resident", present=True,
                                   field_status__isnull=True, dob__lte=on)
    return set(people.exclude(Exists(valid_here)).values_list("pk", flat=True))


def members(result):
    return {m["person_id"]: m for v in result["villages"] for h in v["households"] for m in h["members"]}


def test_officer_list_matches_an_independent_count(w):
    officer = world.officer(villages=[w.village, w.other_village])
    result = worklist(scope=worklist_scope(officer=officer, on=AS_OF), as_of=AS_OF)
    listed = {pid for pid, m in members(result).items() if m["standing"] == "uninsured"}
    expected = independent_uninsured(w.village, AS_OF) | independent_uninsured(w.other_village, AS_OF)
    assert listed == expected and result["uninsured"] == len(expected) == 8
    assert [v["code"] for v in result["villages"]] == sorted([w.village.code, w.other_village.code])
    codes = {h["code"] for v in result["villages"] for h in v["households"]}
    assert codes == {"HH-A", "HH-B", "HH-D", "HH-E", "HH-F"}  # HH-C all insured
    e = next(h for v in result["villages"] for h in v["households"] if h["code"] == "HH-E")
    assert [m["name"] for m in e["members"]] == ["Hầu A Lềnh"]  # moved out and field-corrected left out


def test_reasons_entitlements_and_premium(w):
    result = worklist(scope=worklist_scope(village=w.village, on=AS_OF), as_of=AS_OF, lang="en")
    m = members(result)
    assert m[w.a_head.pk]["standing"] == "insured"
    assert (m[w.a_wife.pk]["reason"], m[w.a_wife.pk]["reason_date"]) == ("lapsed", dt.date(2025, 8, 31))
    assert m[w.a_wife.pk]["reason_text"] == "Lapsed on 2025-08-31"
    assert m[w.a_son.pk]["reason"] == m[w.a_child.pk]["reason"] == "never_enrolled"
    assert m[w.b_away.pk]["reason"] == "other_province"
    assert m[w.b_unlinked.pk]["reason"] == "not_linked"
    assert (m[w.b_expiring.pk]["standing"], m[w.b_expiring.pk]["reason_date"]) == ("expiring", dt.date(2025, 11, 23))
    child = m[w.a_child.pk]["entitlement"]
    assert (child["key"], child["group"], child["state_paid"]) == ("under_6", "TE", True)
    assert "Birth certificate" in child["paperwork"]
    assert m[w.a_son.pk]["entitlement"]["key"] == "household"
    near_poor = m[w.b_away.pk]["entitlement"]
    assert near_poor["key"] == "near_poor_household" and not near_poor["state_paid"] and near_poor["support_share"] > 0
    a = next(h for h in result["villages"][0]["households"] if h["code"] == "HH-A")
    # the wife and the son pay as a household (the child is state-paid; the head holds a DT card)
    expected = household_premium(AS_OF, ["GD", "GD"], months=12, province="15", already_paying=0)
    assert a["premium"]["total_net"] == expected.total_net > 0
    assert [p["person_id"] for p in a["premium"]["members"]] == [w.a_wife.pk, w.a_son.pk]
    assert a["premium"]["sources"] == list(expected.sources)


def test_premium_continues_after_members_already_paying_as_a_household(w):
    world.linked_card(w.a_head, group="GD", valid_from=dt.date(2025, 6, 1), valid_to=dt.date(2026, 5, 31))
    a = next(h for h in worklist(scope=worklist_scope(village=w.village, on=AS_OF), as_of=AS_OF)
             ["villages"][0]["households"] if h["code"] == "HH-A")
    assert a["premium"]["already_paying"] == 1
    assert [p["position"] for p in a["premium"]["members"]] == [2, 3]


def _visit(household, officer, outcome, day, follow_up=None, reason=""):
    return Visit.objects.create(uuid=uuid.uuid4(), household=household, officer=officer, outcome=outcome,
                                reason=reason, follow_up=follow_up, content_hash="x",
                                visited_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))))


def test_order_follow_ups_first_and_settled_households_drop_off(w):
    officer = world.officer(villages=[w.village])
    scope = worklist_scope(village=w.village, on=AS_OF)
    before = [h["code"] for h in worklist(scope=scope, as_of=AS_OF)["villages"][0]["households"]]
    assert before == ["HH-A", "HH-B", "HH-D", "HH-E"]  # 3 uninsured, 2 (+1 expiring), then 1 and 1 by code
    _visit(w.a, officer, "enrolled", dt.date(2025, 10, 20))  # settled
    _visit(w.d, officer, "refused", dt.date(2025, 10, 20), reason="cost")  # refused without follow-up: settled
    _visit(w.e, officer, "promised", dt.date(2025, 10, 20), follow_up=dt.date(2025, 11, 1))  # due (overdue)
    _visit(w.b, officer, "not_at_home", dt.date(2025, 10, 21))
    _visit(w.b, officer, "moved_away", dt.date(2025, 11, 10))  # after the date: not yet seen
    rows = worklist(scope=scope, as_of=AS_OF)["villages"][0]["households"]
    assert [h["code"] for h in rows] == ["HH-E", "HH-B"]
    assert rows[0]["follow_up_due"] and rows[0]["last_visit"]["outcome"] == "promised"
    assert rows[1]["visits"] == 1


def test_a_final_outcome_for_some_members_keeps_the_others_listed(w):
    officer = world.officer(villages=[w.village])
    scope = worklist_scope(village=w.village, on=AS_OF)

    def household_a(lang="vi"):
        rows = worklist(scope=scope, as_of=AS_OF, lang=lang)["villages"][0]["households"]
        return next((h for h in rows if h["code"] == "HH-A"), None)

    assert household_a()["uninsured"] == 3
    VisitMember.objects.create(visit=_visit(w.a, officer, "enrolled", dt.date(2025, 10, 20)), person=w.a_wife)
    _visit(w.a, officer, "not_at_home", dt.date(2025, 10, 21))  # names nobody: the wife's enrolment stands
    a = household_a(lang="en")
    by_person = {m["person_id"]: m for m in a["members"]}
    assert a["uninsured"] == 2 and by_person[w.a_wife.pk]["standing"] == "settled"
    assert by_person[w.a_wife.pk]["reason_text"] == "Visited on 2025-10-20: enrolled"
    assert [p["person_id"] for p in a["premium"]["members"]] == [w.a_son.pk]  # the wife no longer pays here
    VisitMember.objects.create(visit=_visit(w.a, officer, "promised", dt.date(2025, 10, 22)), person=w.a_wife)
    assert household_a()["uninsured"] == 3  # a later visit naming her reopens her
    refusal = _visit(w.a, officer, "refused", dt.date(2025, 10, 23), reason="cost")
    VisitMember.objects.bulk_create([VisitMember(visit=refusal, person=p) for p in (w.a_wife, w.a_son, w.a_child)])
    assert household_a() is None  # nobody left to visit for


def test_scope_errors(w):
    with pytest.raises(EverydoorError, match="exactly one"):
        worklist_scope(village=w.village, commune=w.commune, on=AS_OF)
    with pytest.raises(EverydoorError, match="no village"):
        worklist_scope(officer=world.officer(), on=AS_OF)
    with pytest.raises(EverydoorError, match="not a village"):
        worklist_scope(village=w.commune, on=AS_OF)


def test_exports_are_written_and_audited(w, tmp_path):
    scope = worklist_scope(commune=w.commune, on=AS_OF)
    xlsx = tmp_path / "list.xlsx"
    worklist_export(scope=scope, as_of=AS_OF, fmt="xlsx", out=xlsx, actor="test")
    sheets = pl.read_excel(xlsx, sheet_id=0, has_header=False)
    assert len(sheets) == 2  # one sheet per village
    nam_cang = next(frame for name, frame in sheets.items() if name.startswith("Thôn Nậm Cang"))
    assert "Giàng A Sử" in nam_cang.to_series(3).to_list()
    # in Vietnamese as a Vietnamese reader writes: the date of the list, births, standings
    assert nam_cang.to_series(0)[0].endswith(f"Ngày {AS_OF:%d/%m/%Y}")
    members = nam_cang.slice(3)
    assert set(members.to_series(6).to_list()) <= {"Chưa có thẻ", "Thẻ sắp hết hạn", "Có thẻ", "Đã gặp"}
    assert "Chưa có thẻ" in members.to_series(6).to_list()
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}|\d{4}|", born or "") for born in members.to_series(5).to_list())
    pdf = tmp_path / "list.pdf"
    result = worklist_export(scope=scope, as_of=AS_OF, fmt="pdf", out=pdf, actor="test", lang="en")
    assert pdf.read_bytes().startswith(b"%PDF") and result["pages"] >= 2  # a page run per village
    events = AuditEvent.objects.filter(object_type="worklist", action="export")
    assert events.count() == 2 and events.first().detail["households"] == 5
    with pytest.raises(EverydoorError, match="--out"):
        worklist_export(scope=scope, as_of=AS_OF, fmt="pdf", actor="test")
    with pytest.raises(EverydoorError, match="--format must be one of json, xlsx, pdf"):
        worklist_export(scope=scope, as_of=AS_OF, fmt="docx", out=tmp_path / "x.docx", actor="test")
    with pytest.raises(EverydoorError, match="--lang must be vi or en"):
        worklist_export(scope=scope, as_of=AS_OF, lang="fr", actor="test")
    assert AuditEvent.objects.filter(object_type="worklist").count() == 2  # refused exports leave no trace


def test_cli(w, tmp_path):
    world.officer(villages=[w.village])
    runner = CliRunner()
    result = runner.invoke(app, ["worklist", "--officer", "officer1", "--as-of", "2025-11-03"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["uninsured"] == len(independent_uninsured(w.village, AS_OF))
    result = runner.invoke(app, ["worklist", "--village", w.village.code, "--format", "xlsx",
                                 "--out", str(tmp_path / "x.xlsx"), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["households"] >= 1
    result = runner.invoke(app, ["worklist", "--officer", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.stderr


def test_an_insured_resident_whose_support_ends_within_the_window(w):
    """A poor household whose certificate ends in 28 days: its member's HN card runs on, but the state's
    support ends; the list says when and what the household would pay from the day after."""
    from everydoor.registry.models import HouseholdCertificate
    from tests import factories as f
    from tests.campaign.world import linked_card

    poor = f.household(w.commune, w.village, code="HH-P")
    HouseholdCertificate.objects.create(household=poor, kind="poor", valid_from=dt.date(2022, 1, 1),
                                        valid_to=dt.date(2025, 11, 30))
    member = f.person(full_name="Lý Văn Nghèo", dob=dt.date(1970, 1, 1), hh=poor, ethnicity="Kinh",
                      relation_to_head="Chủ hộ")
    linked_card(member, group="HN", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2026, 12, 31))
    result = worklist(scope=worklist_scope(village=w.village, on=AS_OF), as_of=AS_OF, lang="en")
    row = members(result)[member.pk]
    assert (row["standing"], row["reason"], row["reason_date"]) == ("expiring", "support_ends", dt.date(2025, 11, 30))
    bill = household_premium(dt.date(2025, 12, 1), ["GD"], months=12, province="15")
    assert row["reason_text"] == f"Support ends on 2025-11-30: would pay {bill.total_net:,} VND a year"
    # in Vietnamese, as a Vietnamese reader writes a date and an amount
    vi = members(worklist(scope=worklist_scope(village=w.village, on=AS_OF), as_of=AS_OF, lang="vi"))[member.pk]
    amount = f"{bill.total_net:,}".replace(",", ".")
    assert vi["reason_text"] == f"Hết hỗ trợ của Nhà nước ngày 30/11/2025: sẽ phải đóng {amount} đồng/năm"
    listed = next(h for v in result["villages"] for h in v["households"] if h["code"] == "HH-P")
    assert listed["expiring"] == 1
