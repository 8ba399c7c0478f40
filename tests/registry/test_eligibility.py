"""Eligibility look-up against Card rows: by card number, SI code and personal ID, on a date."""

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from typer.testing import CliRunner

from everydoor.accounts.models import AuditEvent
from everydoor.core.errors import EverydoorError
from everydoor.registry.eligibility import eligibility_check, eligibility_on
from everydoor.registry.models import Card
from tests import factories as f

D = dt.date
PID = "010190000001"


@pytest.fixture
def cards(db):
    bat = f.batch("cards")
    first = f.card(si_code="1512345678", group_code="HS", level=4, personal_id=PID, valid_from=D(2025, 1, 1),
                   valid_to=D(2025, 12, 31), clinic_code="10001", bat=bat)
    renewal = f.card(si_code="1512345678", group_code="GD", level=4, personal_id=PID, valid_from=D(2026, 1, 1),
                     valid_to=D(2026, 12, 31), clinic_code="10002", bat=bat)
    gone = f.card(si_code="1599999999", group_code="DT", level=2, valid_from=D(2025, 1, 1),
                  valid_to=D(2025, 12, 31), present=False, bat=bat)
    return {"first": first, "renewal": renewal, "gone": gone}


def test_by_card_number_valid_on_the_date(cards):
    answer = eligibility_on(value=cards["first"].card_number, on=D(2025, 6, 1))
    assert answer == {
        "kind": "card_number", "found": True, "valid": True, "valid_from": D(2025, 1, 1), "valid_to": D(2025, 12, 31),
        "group_code": "HS", "benefit_level": 4, "benefit_rate": 0.8, "clinic_code": "10001",
        # the renewal follows without a gap: cover lasts until its end
        "next_expiry": D(2026, 12, 31),
    }


@pytest.mark.parametrize(("on", "valid", "group"), [
    (D(2024, 12, 31), False, "GD"), (D(2025, 1, 1), True, "HS"), (D(2025, 12, 31), True, "HS"),
    (D(2026, 1, 1), True, "GD"), (D(2026, 12, 31), True, "GD"), (D(2027, 1, 1), False, "GD"),
])
def test_boundary_dates(cards, on, valid, group):
    answer = eligibility_on(value=PID, on=on)
    assert (answer["kind"], answer["found"], answer["valid"], answer["group_code"]) == ("personal_id", True, valid, group)
    assert answer["next_expiry"] == (D(2026, 12, 31) if valid else None)


def test_old_card_number_finds_the_renewal_through_the_si_code(cards):
    answer = eligibility_on(value=cards["first"].card_number.lower(), on=D(2026, 3, 1))
    assert (answer["valid"], answer["group_code"], answer["clinic_code"]) == (True, "GD", "10002")


def test_by_si_code_and_absent_cards_are_ignored(cards):
    assert eligibility_on(value=" 1512345678 ", on=D(2026, 3, 1))["kind"] == "si_code"
    assert eligibility_on(value="1599999999", on=D(2025, 3, 1))["found"] is False


def test_not_found_says_so_without_guessing(cards):
    answer = eligibility_on(value="0011990012345"[:12], on=D(2025, 3, 1))
    assert answer["found"] is False and answer["valid"] is False and answer["group_code"] is None


def test_unreadable_value_is_a_user_error(db):
    with pytest.raises(EverydoorError, match="not a valid 12-digit personal ID"):
        eligibility_on(value="12-34", on=D(2025, 1, 1))
    with pytest.raises(EverydoorError, match="unknown_province_code"):
        eligibility_on(value="999190000001", on=D(2025, 1, 1))


def test_one_query_per_look_up(cards):
    with CaptureQueriesContext(connection) as queries:
        eligibility_on(value=cards["first"].card_number, on=D(2025, 6, 1))
    assert len(queries) == 1


def test_card_number_is_found_through_the_record_key_index(cards):
    """The card number has no index of its own: its look-up reads the unique record key's range, and
    finds only that number's periods (a card without a number is found through its SI code)."""
    bat = f.batch("cards")
    neighbour = f.card(si_code="1512345679", group_code="HS", level=4, valid_from=D(2025, 1, 1), bat=bat)
    unnumbered = f.card(si_code="1512345678", group_code="HS", level=4, valid_from=D(2027, 1, 1),
                        valid_to=D(2027, 12, 31), bat=bat)
    Card.objects.filter(pk=unnumbered.pk).update(card_number="", record_key="1512345678|2027-01-01")
    answer = eligibility_on(value=cards["first"].card_number, on=D(2027, 6, 1))
    assert (answer["valid"], answer["valid_from"]) == (True, D(2027, 1, 1))  # through the SI code
    assert eligibility_on(value=neighbour.card_number, on=D(2025, 6, 1))["next_expiry"] == D(2025, 12, 31)
    with CaptureQueriesContext(connection) as queries:
        eligibility_on(value=cards["first"].card_number, on=D(2025, 6, 1))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: only an impossible plan is a failure
        cursor.execute("EXPLAIN " + ("QUERY PLAN " if connection.vendor == "sqlite" else "") + queries[0]["sql"])
        plan = " ".join(str(part) for row in cursor.fetchall() for part in row)
    assert re.search(r"record_key\)?(?:::text)? ?>", plan), plan  # an index condition on the key's range
    assert "Seq Scan" not in plan and "SCAN registry_card" not in plan, plan


def test_every_look_up_is_audited_found_or_not(cards):
    eligibility_check(value=PID, on=D(2025, 6, 1), actor="cli:test")
    eligibility_check(value="0123456789", on=D(2025, 6, 1), actor="cli:test")
    events = list(AuditEvent.objects.filter(action="eligibility_lookup").order_by("pk"))
    assert [(e.actor, e.object_type, e.object_id, e.detail["found"]) for e in events] == [
        ("cli:test", "personal_id", PID, True), ("cli:test", "si_code", "0123456789", False)]


def test_cli_eligibility_json(cards):
    from everydoor.cli.app import app

    result = CliRunner().invoke(app, ["eligibility", PID, "--on", "2026-01-01", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["valid"] is True and document["group_code"] == "GD" and document["valid_to"] == "2026-12-31"
    assert AuditEvent.objects.filter(action="eligibility_lookup", actor__startswith="cli:").count() == 1
    bad = CliRunner().invoke(app, ["eligibility", "nonsense", "--json"])
    assert bad.exit_code == 1 and "not a valid" in bad.stderr
