"""Recording a visit: one service for the API, the paper-list import and the demo.

A visit is validated field by field (a malformed one names the field), checked against the officer's
villages on its date, and written atomically with its members, the field reviews it asks for, the
household's phone and, for a card found in the register, a field-verified link. It is idempotent
on the client's UUID: the same UUID with the same content returns the first visit (also when two
retries race: the unique key decides, the loser's insert writes nothing and it reads the winner); the
same UUID with other content is a conflict that carries the stored visit.

It is the API's hot path (>= 200 visits/s, bench/visits.py): a new visit costs one query for the
household, the officer's assignment and the members named, then its writes (on PostgreSQL one statement
for a visit and its members, without a transaction), written out in SQL where the ORM's compiling cost
more than the database's work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import re
import uuid as uuidlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from everydoor.accounts.services import audit_record
from everydoor.campaign.models import FieldReview, Visit
from everydoor.core.dates import today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.rows import columns, fetch_instance
from everydoor.linkage.models import Link
from everydoor.registry import card_reads
from everydoor.registry.models import Household, Person
from everydoor.rules import identifiers

Outcome, Reason = Visit.Outcome, Visit.Reason
# Outcomes that say a resident is not there: each member concerned goes to the unit manager's review.
CORRECTIONS = (Outcome.MOVED_AWAY, Outcome.DECEASED, Outcome.NEVER_LIVED_HERE)
CARD_OUTCOMES = (Outcome.INSURED_ELSEWHERE, Outcome.ENROLLED)  # a card number may come with these
SOURCES = ("api", "web", "import", "demo", "bench")
CLOCK_SKEW = dt.timedelta(minutes=10)  # a phone's clock may run a little ahead
_PHONE = re.compile(r"^(\+?84|0)\d{8,10}$")


class VisitConflict(EverydoorError):
    """The UUID is taken by a visit with other content; `visit` is the stored one."""

    def __init__(self, visit: Visit):
        super().__init__(ErrorCode.CONFLICT, f"visit {visit.uuid} was already recorded with other content",
                         field="uuid")
        self.visit = visit


@dataclass(frozen=True)
class VisitInput:
    """A visit as a client sends it: text and numbers, checked by visit_record."""

    uuid: str
    household: str  # household code
    visited_at: str | dt.datetime
    outcome: str
    reason: str = ""
    members: Sequence[int] = ()  # person ids, residents of the household
    card_number: str = ""
    note: str = ""
    phone: str = ""
    follow_up: str | dt.date | None = None


def _fail(field: str, message: str, code: ErrorCode = ErrorCode.INVALID_INPUT):
    raise EverydoorError(code, f"{field}: {message}", field=field)


def _moment(value: str | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            _fail("visited_at", f"must be an ISO date and time, got {value!r}")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _date(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        _fail(field, f"must be YYYY-MM-DD, got {value!r}")


def latest_visit_time() -> dt.datetime:
    """A visit after this is in the future: now (with a phone's clock skew), or the end of the working day."""
    return max(timezone.now() + CLOCK_SKEW, timezone.make_aware(dt.datetime.combine(today(), dt.time.max)))


def _clean(data: VisitInput, *, latest: dt.datetime | None = None) -> dict:
    """Every field checked on its own (no database but the working day): the first fault found is raised,
    naming the field. `latest`: latest_visit_time(), when the caller checks many visits at once."""
    try:
        key = uuidlib.UUID(str(data.uuid))
    except ValueError:
        _fail("uuid", f"must be a UUID, got {data.uuid!r}")
    if data.outcome not in Outcome.values:
        _fail("outcome", f"unknown outcome {data.outcome!r}; one of {', '.join(Outcome.values)}")
    reason = (data.reason or "").strip()
    if data.outcome == Outcome.REFUSED:
        if reason not in Reason.values:
            _fail("reason", f"a refusal needs a reason: one of {', '.join(Reason.values)}, got {reason!r}")
    elif reason:
        _fail("reason", f"a reason is only for refusals, not for {data.outcome!r}")
    moment = _moment(data.visited_at)
    # the working day is read only for a visit after now (the demo's clock may run ahead of the calendar)
    if moment > timezone.now() + CLOCK_SKEW and moment > (latest or latest_visit_time()):
        _fail("visited_at", f"{moment.isoformat()} is in the future")
    visit_day = timezone.localtime(moment).date()
    follow_up = _date(data.follow_up, "follow_up")
    if follow_up is not None and follow_up < visit_day:
        _fail("follow_up", f"{follow_up} is before the visit ({visit_day})")
    card_number = (data.card_number or "").strip().upper()
    if card_number:
        if data.outcome not in CARD_OUTCOMES:
            _fail("card_number", f"a card number goes with {' or '.join(CARD_OUTCOMES)}, not {data.outcome!r}")
        check = identifiers.check_card_number(card_number, on=visit_day)
        if [e for e in check.errors if e != identifiers.LEVEL_MISMATCH]:
            _fail("card_number", f"{card_number!r} is not a 15-character card number ({', '.join(check.errors)})")
    phone = re.sub(r"[\s.\-()]", "", data.phone or "")
    if phone and not _PHONE.match(phone):
        _fail("phone", f"{data.phone!r} is not a Vietnamese phone number")
    try:
        members = sorted({int(m) for m in data.members or ()})
    except (TypeError, ValueError):
        _fail("members", "must be a list of resident ids")
    if data.outcome in CORRECTIONS and not members:
        _fail("members", f"name the residents the outcome {data.outcome!r} concerns")
    if data.outcome == Outcome.INSURED_ELSEWHERE and card_number and len(members) != 1:
        _fail("members", "a card number found at the door belongs to exactly one member")
    return {"uuid": key, "household_code": (data.household or "").strip(), "visited_at": moment,
            "visit_day": visit_day, "outcome": data.outcome, "reason": reason, "members": members,
            "card_number": card_number, "note": (data.note or "").strip(), "phone": phone, "follow_up": follow_up}


def content_hash(clean: dict, officer_id: int) -> str:
    """The posted content, canonical: a retry hashes the same, anything else differs."""
    fields = {k: clean[k] for k in ("household_code", "outcome", "reason", "members", "card_number", "note", "phone")}
    fields |= {"officer": officer_id, "visited_at": clean["visited_at"].astimezone(dt.UTC).isoformat(),
               "follow_up": clean["follow_up"].isoformat() if clean["follow_up"] else None}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _same_or_conflict(stored: Visit, digest: str) -> Visit:
    if stored.content_hash != digest:
        raise VisitConflict(stored)
    return stored


_HOUSEHOLD = ("id", "code", "village_id", "phone")  # what a visit needs of its household
_PERSON = ("id", "household_id", "full_name", "status", "field_status")  # and of the residents it names


def _household_for(clean: dict, officer) -> tuple[Household, list[dict]] | None:
    """The household named, with `assigned`: whether the officer works its village on the visit's day (the
    rule of selectors.officer_villages), and the residents the visit names, wherever they live. One query
    written out: compiling the ORM's (four of them) cost more than the database's answers on every post."""
    day = connection.ops.adapt_datefield_value(clean["visit_day"])
    members = clean["members"]
    named = f"p.id IN ({', '.join(['%s'] * len(members))})" if members else "1 = 0"
    found = fetch_instance(
        Household,
        f"SELECT {columns(Household, _HOUSEHOLD, alias='h')}, EXISTS (SELECT 1 FROM campaign_officerassignment a"
        " WHERE a.officer_id = %s AND a.village_id = h.village_id AND a.valid_from <= %s"
        " AND (a.valid_to IS NULL OR a.valid_to >= %s)), "
        f"{', '.join(f'p.{c}' for c in _PERSON)} FROM registry_household h LEFT JOIN registry_person p ON {named}"
        " WHERE h.code = %s", [officer.pk, day, day, *members, clean["household_code"]], _HOUSEHOLD)
    if found is None:
        return None
    household, rows = found
    household.assigned = bool(rows[0][0])
    return household, [dict(zip(_PERSON, row[1:], strict=True)) for row in rows if row[1] is not None]


def _check_people(clean: dict, household: Household, people: list[dict]) -> None:
    strangers = sorted(set(clean["members"]) - {p["id"] for p in people if p["household_id"] == household.id})
    if strangers:
        _fail("members", f"resident(s) {', '.join(map(str, strangers))} are not members of household "
                         f"{household.code}")
    # A visit about someone known dead is a stale list; reporting a death the register already holds is not
    # (the field confirms it), but one already accepted from the field is.
    if clean["outcome"] == Outcome.DECEASED:
        dead = [p for p in people if p["field_status"] == Person.Status.DECEASED]
    else:
        dead = [p for p in people if Person.Status.DECEASED in (p["status"], p["field_status"])]
    if dead:
        _fail("members", f"{dead[0]['full_name']} (resident {dead[0]['id']}) is already recorded as deceased",
              ErrorCode.RESIDENT_DECEASED)


def _stored(key: uuidlib.UUID, household: Household, officer) -> Visit | None:
    """The visit recorded under the UUID (a retry's first post, most often), with the household and the
    officer in hand when they are its own (a retry answers without reading them again)."""
    found = fetch_instance(Visit, f"SELECT {columns(Visit)} FROM campaign_visit WHERE uuid = %s",
                           [Visit._meta.get_field("uuid").get_db_prep_value(key, connection)])
    stored = found[0] if found else None
    if stored is not None:
        if stored.household_id == household.pk:
            stored.household = household
        if stored.officer_id == officer.pk:
            stored.officer = officer
    return stored


# What a new visit is written with, in this order (created_at included: the insert is written out).
_VISIT_FIELDS = ("uuid", "household", "officer", "visited_at", "outcome", "reason", "card_number", "note", "phone",
                 "follow_up", "content_hash", "source", "created_at")


@functools.cache
def _visit_insert_sql(vendor: str) -> tuple[str, list]:
    fields = [Visit._meta.get_field(name) for name in _VISIT_FIELDS]
    insert = (f"INSERT INTO {Visit._meta.db_table} ({', '.join(f.column for f in fields)})"
              f" VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT (uuid) DO NOTHING RETURNING id")
    if vendor == "postgresql":  # the members in the same statement, only if the visit was written
        insert = (f"WITH visit AS ({insert}), members AS (INSERT INTO campaign_visitmember (visit_id, person_id)"
                  " SELECT visit.id, person.id FROM visit, unnest(%s::bigint[]) AS person(id)) SELECT id FROM visit")
    return insert, fields


def _visit_insert(visit: Visit, members: list[int]) -> bool:
    """Write a new visit and its members and set its id; False when its UUID is taken (nothing written).

    ON CONFLICT DO NOTHING rather than a savepoint around a failing insert (PostgreSQL and SQLite >= 3.35): a
    retry racing the first post waits for it to commit (PostgreSQL) and then writes nothing, and no error
    leaves a transaction to repair. On PostgreSQL the members are inserted by the same statement (a
    data-modifying WITH), which is atomic on its own: a plain visit needs no transaction, and so none of
    the round trips to begin and commit one. SQLite inserts them next, in the caller's transaction."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each field's preparation reads it (the proxy looks it up each time)
    sql, fields = _visit_insert_sql(db.vendor)
    params = [f.get_db_prep_save(getattr(visit, f.attname), db) for f in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, params + [members] if db.vendor == "postgresql" else params)
        row = cursor.fetchone()
        if row is None:
            return False
        if members and db.vendor != "postgresql":
            cursor.execute("INSERT INTO campaign_visitmember (visit_id, person_id) VALUES "
                           + ", ".join(["(%s, %s)"] * len(members)),
                           [value for person_id in members for value in (row[0], person_id)])
    visit.pk = row[0]
    visit._state.adding = False
    return True


def visit_record(*, data: VisitInput, officer, source: str = "api") -> tuple[Visit, bool]:
    """Record a visit; returns (visit, created). created=False: a retry of a visit already recorded.

    Raises EverydoorError naming the field (INVALID_INPUT; RESIDENT_DECEASED), NOT_ASSIGNED when the
    household is not in the officer's villages on the visit's date, VisitConflict for a reused UUID.
    """
    clean = _clean(data)
    found = _household_for(clean, officer)
    if found is None:
        _fail("household", f"no household has the code {clean['household_code']!r}")
    household, people = found
    digest = content_hash(clean, officer.pk)
    try:
        if household.village_id is None or not household.assigned:
            _fail("household", f"household {household.code} is not in the villages of {officer.get_username()} "
                               f"on {clean['visit_day']}", ErrorCode.NOT_ASSIGNED)
        _check_people(clean, household, people)
    except EverydoorError:
        # A retry is answered whatever happened since its first post (reassignment, death): the UUID is
        # looked up only when the visit is refused, or when the insert finds it taken (below).
        stored = _stored(clean["uuid"], household, officer)
        if stored is None:
            raise
        return _same_or_conflict(stored, digest), False
    visit = Visit(uuid=clean["uuid"], household=household, officer=officer, visited_at=clean["visited_at"],
                  outcome=clean["outcome"], reason=clean["reason"], card_number=clean["card_number"],
                  note=clean["note"], phone=clean["phone"], follow_up=clean["follow_up"], content_hash=digest,
                  source=source, created_at=timezone.now())
    members = [p["id"] for p in people]
    # A transaction when more than the visit and its members is written, or on SQLite (see _visit_insert)
    alone = connection.vendor == "postgresql" and not _more_to_write(clean, household)
    with contextlib.nullcontext() if alone else transaction.atomic():
        created = _visit_insert(visit, members)
        if created:
            _visit_details_write(visit, members, clean, household, officer)
    if not created:  # the UUID was taken (a retry, or the first post of a racing pair committed first)
        return _same_or_conflict(_stored(clean["uuid"], household, officer), digest), False
    return visit, True


def _more_to_write(clean: dict, household: Household) -> bool:
    """Whether a new visit brings more than itself and its members (_visit_details_write)."""
    return (clean["outcome"] in CORRECTIONS or (bool(clean["phone"]) and household.phone != clean["phone"])
            or (clean["outcome"] == Outcome.INSURED_ELSEWHERE and bool(clean["card_number"])))


def _visit_details_write(visit: Visit, members: list[int], clean: dict, household: Household, officer) -> None:
    """What a new visit brings besides itself and its members: the field reviews, the phone, a card's link."""
    if clean["outcome"] in CORRECTIONS:
        FieldReview.objects.bulk_create([FieldReview(visit=visit, person_id=person_id, kind=clean["outcome"])
                                         for person_id in members])
    if clean["phone"] and household.phone != clean["phone"]:
        Household.objects.filter(pk=household.pk).update(phone=clean["phone"])
    if clean["outcome"] == Outcome.INSURED_ELSEWHERE and clean["card_number"]:
        _field_link(visit, members[0], clean["card_number"], officer)


def _field_link(visit: Visit, person_id: int, card_number: str, officer) -> None:
    """A card number seen at the door and found in the register: a link labelled field-verified, unless the
    card is already linked (reconciliation then lists the disagreement). A number not in the register stays
    on the visit (field_review.unmatched_cards lists it)."""
    card = card_reads.card_by_number(card_number)
    if card is None or Link.objects.filter(card_id=card["id"]).exists():
        return
    Link.objects.create(card_id=card["id"], person_id=person_id, method=Link.Method.FIELD_VERIFIED, reviewer=officer)
    audit_record(actor=officer.get_username(), user=officer, action="link_field_verified", object_type="card",
                 object_id=card_number, detail={"visit": str(visit.uuid), "person_id": person_id})


def visit_out(visit: Visit, members: Sequence[int] | None = None) -> dict:
    """A visit as the API and the CLI show it (members: the resident ids, when the caller knows them)."""
    if members is None:
        members = visit.members.values_list("person_id", flat=True)
    return {"uuid": str(visit.uuid), "id": visit.pk, "household": visit.household.code,
            "officer": visit.officer.get_username(), "visited_at": timezone.localtime(visit.visited_at),
            "outcome": visit.outcome, "reason": visit.reason, "members": sorted(set(members)),
            "card_number": visit.card_number, "note": visit.note, "phone": visit.phone,
            "follow_up": visit.follow_up, "source": visit.source, "created_at": timezone.localtime(visit.created_at)}
