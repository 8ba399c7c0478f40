"""Work lists: the households of some villages that an officer should knock on, and what to tell each.

A household is listed when at least one of its residents (status resident, present in the register,
no accepted field correction on the date) holds no valid card placed in the province on the date, or
holds one that ends within EXPIRING_DAYS without a renewal. Each member comes with the reason and, for
the uninsured, the card the law offers them (rules.entitlement) and the household's premium for those
who would pay (rules.premium). Reading a village is a handful of queries (households, residents,
their cards, certificates, statuses, visits); the rules then run in Python per household.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from everydoor.campaign.models import Visit
from everydoor.campaign.selectors import officer_villages
from everydoor.core.dates import as_date
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.rows import among
from everydoor.coverage import formatting
from everydoor.geo.models import AdminUnit, AreaStatus
from everydoor.registry import card_reads
from everydoor.registry.models import Person
from everydoor.rules.entitlement import Period, entitlement, may_end_between
from everydoor.rules.premium import Member, household_premium

EXPIRING_DAYS = 30
HOUSEHOLD_CARD_GROUP = "GD"  # members holding one pay as a household: the new ones continue their sequence
PREMIUM_MONTHS = 12
Outcome = Visit.Outcome
# A visit with one of these outcomes settles the members it names (or, naming none, the whole household):
# they need no more visits. A refusal settles only when the officer set no follow-up ("come back" otherwise).
# A household leaves the list when no member is left to visit for.
FINAL_OUTCOMES = frozenset({Outcome.ENROLLED, Outcome.INSURED_ELSEWHERE, Outcome.MOVED_AWAY, Outcome.DECEASED,
                            Outcome.NEVER_LIVED_HERE})

REASONS = {
    "never_enrolled": ("Chưa từng tham gia BHYT", "Never enrolled"),
    "lapsed": ("Thẻ hết hạn ngày {date}", "Lapsed on {date}"),
    "expiring": ("Thẻ sắp hết hạn ngày {date}", "Card expires on {date}"),
    "other_province": ("Có thẻ ở tỉnh khác", "Card in another province"),
    "not_linked": ("Có thẻ chưa được đối chiếu với người dân", "Card not linked to the resident"),
    "support_ends": ("Hết hỗ trợ của Nhà nước ngày {date}: sẽ phải đóng {amount} đồng/năm",
                     "Support ends on {date}: would pay {amount} VND a year"),
    "settled": ("Đã gặp ngày {date}: {outcome}", "Visited on {date}: {outcome}"),
}
SETTLED_OUTCOMES = {
    Outcome.ENROLLED: ("đã đăng ký tham gia", "enrolled"),
    Outcome.INSURED_ELSEWHERE: ("đã có thẻ ở nơi khác", "already insured elsewhere"),
    Outcome.MOVED_AWAY: ("đã chuyển đi", "moved away"),
    Outcome.DECEASED: ("đã mất", "deceased"),
    Outcome.NEVER_LIVED_HERE: ("không sống ở đây", "never lived here"),
    Outcome.REFUSED: ("từ chối tham gia", "refused"),
}


def reason_text(code: str, date: dt.date | None, lang: str, amount: int | None = None, outcome: str = "") -> str:
    """The reason in the reader's language, with its date and amount written as that reader writes them
    (31/12/2024 and 227.448 in Vietnamese)."""
    vi, en = REASONS[code]
    label = SETTLED_OUTCOMES.get(outcome, (outcome, outcome))[lang == "en"] if outcome else ""
    return (en if lang == "en" else vi).format(date=formatting.date_label(date, lang) if date else "",
                                               amount=formatting.number(amount, lang) if amount is not None else "",
                                               outcome=label)


def _support_ending(p: dict, card_group: str, certificates, statuses, province: str, on: dt.date,
                    already_paying: int) -> dict | None:
    """An insured resident whose state support (under 6, poor or near-poor certificate, the commune's listing)
    ends within EXPIRING_DAYS: the day, and what they would pay from the day after (lapses/ warns of the same)."""
    if not may_end_between(on, on + dt.timedelta(days=EXPIRING_DAYS), dob_year=p["dob_year"], dob_month=p["dob_month"],
                           dob_day=p["dob_day"], certificates=certificates, commune_statuses=statuses):
        return None  # most insured residents: no support of theirs can end in the window
    now = entitlement(on=on, dob_year=p["dob_year"], dob_month=p["dob_month"], dob_day=p["dob_day"],
                      ethnicity=p["ethnicity"], certificates=certificates, commune_statuses=statuses, province=province)
    if (now.group != card_group or now.support_share <= 0 or now.until is None
            or not 0 <= (now.until - on).days <= EXPIRING_DAYS):
        return None
    after = now.until + dt.timedelta(days=1)
    then = entitlement(on=after, dob_year=p["dob_year"], dob_month=p["dob_month"], dob_day=p["dob_day"],
                       ethnicity=p["ethnicity"], certificates=certificates, commune_statuses=statuses, province=province)
    if then.support_share >= now.support_share:
        return None  # another support takes over (a certificate renewed, a pupil's share)
    bill = _premium(after, (Member(then.group, then.categories),), province, already_paying)
    return {"standing": "expiring", "reason": "support_ends", "reason_date": now.until, "amount": bill.total_net}


def settles(outcome: str, follow_up: dt.date | None) -> bool:
    """Whether a visit with this outcome settles what it concerns (its members, else the household)."""
    return outcome in FINAL_OUTCOMES or (outcome == Outcome.REFUSED and follow_up is None)


def settled_members(visits: list[dict], members_of: dict[int, set[int]]) -> tuple[dict | None, dict[int, dict]]:
    """What a household's visits (in order) have settled: the whole household (the settling visit, or None)
    and members one by one (person id -> visit). A later visit that settles nothing reopens what it names,
    or, naming nobody, the household as a whole (members settled one by one stay so)."""
    whole, people = None, {}
    for visit in visits:
        named = members_of.get(visit["id"], set())
        if settles(visit["outcome"], visit["follow_up"]):
            if named:
                people.update(dict.fromkeys(named, visit))
            else:
                whole = visit
        elif named:
            for person in named:
                people.pop(person, None)
        else:
            whole = None
    return whole, people


@dataclass(frozen=True)
class Scope:
    """The villages a work list covers, and what named them (for titles and the audit)."""

    villages: tuple[AdminUnit, ...]
    label: str
    area_code: str


def worklist_scope(*, officer=None, village: AdminUnit | None = None, commune: AdminUnit | None = None,
                   on: dt.date) -> Scope:
    """Exactly one of officer (their villages on the date), village, commune (all its villages)."""
    if sum(x is not None for x in (officer, village, commune)) != 1:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "name exactly one of an officer, a village or a commune")
    if officer is not None:
        villages = tuple(officer_villages(officer, on=on).order_by("code"))
        if not villages:
            raise EverydoorError(ErrorCode.NOT_FOUND, f"officer {officer.get_username()} has no village on {on}")
        return Scope(villages, officer.get_username(), "")
    if village is not None:
        if village.level != AdminUnit.Level.VILLAGE:
            raise EverydoorError(ErrorCode.INVALID_INPUT, f"{village.name} is not a village")
        return Scope((village,), village.name, village.code)
    if commune.level != AdminUnit.Level.COMMUNE:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{commune.name} is not a commune")
    villages = tuple(AdminUnit.objects.filter(parent=commune, level=AdminUnit.Level.VILLAGE).order_by("code"))
    return Scope(villages, commune.name, commune.code)


def _day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


def _lives_here(p: dict, on: dt.date) -> bool:
    """As coverage counts residents (coverage.engine.resident_condition), among present residents."""
    # No readable date of birth (an import flagged it): born, as coverage counts them.
    born = p["dob"] <= on if p["dob"] else p["dob_year"] is None or p["dob_year"] <= on.year
    arrived = p["status_date"] is None or p["status_date"] <= on
    corrected = p["field_status"] is not None and (p["field_status_date"] is None or p["field_status_date"] <= on)
    return born and arrived and not corrected


def _covering_end(cards: list[dict], on: dt.date) -> dt.date | None:
    """Last day of uninterrupted cover from `on`, following renewals; None when no card covers `on`."""
    ordered = sorted(cards, key=lambda c: c["valid_from"])
    end = None
    for card in ordered:
        if end is None and card["valid_from"] <= on <= card["valid_to"] or end is not None and card["valid_from"] <= end + dt.timedelta(days=1) and card["valid_to"] > end:
            end = card["valid_to"]
    return end


def _card_out(card: dict) -> dict:
    return {"number": card["card_number"], "group": card["group_code"], "valid_from": card["valid_from"],
            "valid_to": card["valid_to"], "province_code": card["province_code"]}


def _member(p: dict, cards: list[dict], unlinked: list[dict], province: str, on: dt.date) -> dict:
    """A member's standing on the date: insured, expiring or uninsured, and why."""
    valid = [c for c in cards if c["valid_from"] <= on <= c["valid_to"]]
    here = [c for c in valid if c["province_code"] in (None, province)]
    if here:
        end = _covering_end([c for c in cards if c["province_code"] in (None, province)], on)
        card = max(here, key=lambda c: c["valid_to"])
        if end is not None and (end - on).days <= EXPIRING_DAYS:
            return {"standing": "expiring", "reason": "expiring", "reason_date": end, "card": _card_out(card)}
        return {"standing": "insured", "reason": None, "reason_date": None, "card": _card_out(card)}
    if valid:
        return {"standing": "uninsured", "reason": "other_province", "reason_date": None,
                "card": _card_out(max(valid, key=lambda c: c["valid_to"]))}
    found = [c for c in unlinked if c["valid_from"] <= on <= c["valid_to"]]
    if found:
        return {"standing": "uninsured", "reason": "not_linked", "reason_date": None, "card": _card_out(found[0])}
    ended = [c for c in cards if c["valid_to"] < on]
    if ended:
        last = max(ended, key=lambda c: c["valid_to"])
        return {"standing": "uninsured", "reason": "lapsed", "reason_date": last["valid_to"], "card": _card_out(last)}
    return {"standing": "uninsured", "reason": "never_enrolled", "reason_date": None, "card": None}


_RESIDENT_FIELDS = ("id", "household_id", "full_name", "personal_id", "dob", "dob_year", "dob_month", "dob_day", "sex",
                    "ethnicity", "relation_to_head", "status_date", "field_status", "field_status_date")


def _fetch(sql: str, params: list, names: tuple[str, ...] | None) -> list:
    """The rows of a written-out query: dicts of `names`, or tuples without."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return rows if names is None else [dict(zip(names, row, strict=True)) for row in rows]


def _residents(village_ids: list[int], on: dt.date) -> list[dict]:
    """Present residents of the villages' households not corrected by the field on the date. Plain SQL: the
    ORM's conversion of each value cost a sixth of the biggest village's list."""
    in_villages, params = among("h.village_id", village_ids)
    return _fetch(f"SELECT {', '.join('p.' + f for f in _RESIDENT_FIELDS)} FROM registry_person p "
                  f"JOIN registry_household h ON h.id = p.household_id WHERE {in_villages} "
                  f"AND p.status = %s AND p.present = %s AND (p.field_status IS NULL OR p.field_status_date > %s)",
                  [*params, Person.Status.RESIDENT.value, True, on], _RESIDENT_FIELDS)


_VISIT_FIELDS = ("id", "household_id", "visited_at", "outcome", "reason", "follow_up")


def _reads(village_ids: list[int], on: dt.date) -> dict:
    """Everything the rules need for these villages, a few queries in all (written out: the ORM's conversion
    of each value and its list of ids cost more than the queries on a big village)."""
    in_villages, params = among("village_id", village_ids)
    households = _fetch(f"SELECT id, code, village_id, commune_id, phone FROM registry_household WHERE {in_villages}",
                        params, ("id", "code", "village_id", "commune_id", "phone"))
    people = [p for p in _residents(village_ids, on) if _lives_here(p, on)]
    # The households' ids, not a join on their villages: PostgreSQL's planner, costing random reads as a disk's,
    # scanned the whole certificate and visit tables for a join (22 + 17 ms a village) and probes the index for a list.
    in_households, household_ids = among("household_id", [h["id"] for h in households])
    certificates = defaultdict(list)
    for c in _fetch(f"SELECT household_id, kind, valid_from, valid_to FROM registry_householdcertificate "
                    f"WHERE {in_households}", household_ids, ("household_id", "kind", "valid_from", "valid_to")):
        certificates[c["household_id"]].append(Period(c["kind"], as_date(c["valid_from"]), as_date(c["valid_to"])))
    communes = {h["commune_id"] for h in households}
    statuses = defaultdict(list)
    for s in AreaStatus.objects.filter(commune_id__in=communes).values("commune_id", "status", "effective_from",
                                                                         "effective_to"):
        statuses[s["commune_id"]].append(Period(s["status"], s["effective_from"], s["effective_to"]))
    visits = defaultdict(list)
    visit_ids = []
    for visit in Visit.objects.raw(f"SELECT id, household_id, visited_at, outcome, reason, follow_up FROM campaign_visit "
                                   f"WHERE {in_households} ORDER BY visited_at, id", household_ids):
        if _day(visit.visited_at) <= on:  # the model's converters: an aware time, whatever the database
            visits[visit.household_id].append({f: getattr(visit, f) for f in _VISIT_FIELDS})
            visit_ids.append(visit.id)
    members_of = defaultdict(set)
    in_visits, params = among("visit_id", visit_ids)
    for visit_id, person_id in _fetch(f"SELECT visit_id, person_id FROM campaign_visitmember WHERE {in_visits}",
                                      params, None):
        members_of[visit_id].add(person_id)
    return {"households": households, "people": people, "certificates": certificates, "statuses": statuses,
            "visits": visits, "members_of": members_of}


@functools.lru_cache(maxsize=4096)
def _premium(on: dt.date, members: tuple[Member, ...], province: str, already_paying: int):
    """household_premium is pure: households of the same make-up (most are) share one computation."""
    return household_premium(on, list(members), months=PREMIUM_MONTHS, province=province,
                             already_paying=already_paying)


def _household(h: dict, members: list[dict], data: dict, cards: dict, unlinked: dict, province: str,
               on: dt.date, lang: str) -> dict | None:
    visits = data["visits"].get(h["id"], [])
    last = visits[-1] if visits else None
    whole, settled = settled_members(visits, data["members_of"])
    if whole is not None:
        return None
    certificates, statuses = data["certificates"].get(h["id"], ()), data["statuses"].get(h["commune_id"], ())
    out_members, payers, already_paying = [], [], 0
    for p in sorted(members, key=lambda m: (m["relation_to_head"] != "Chủ hộ", m["dob_year"] or 0, m["id"])):
        standing = _member(p, cards.get(p["id"], []), unlinked.get(p["id"], []), province, on)
        amount, outcome = None, ""
        if standing["standing"] != "insured" and p["id"] in settled:  # the visit's word stands till the registers
            visit = settled[p["id"]]
            outcome = visit["outcome"]
            standing = {**standing, "standing": "settled", "reason": "settled", "reason_date": _day(visit["visited_at"])}
        elif standing["standing"] == "insured" and standing["card"]:
            ending = _support_ending(p, standing["card"]["group"], certificates, statuses, province, on,
                                     already_paying)
            if ending is not None:
                amount = ending.pop("amount")
                standing = {**standing, **ending}
        row = {"person_id": p["id"], "name": p["full_name"], "personal_id": p["personal_id"],
               "dob": p["dob"].isoformat() if p["dob"] else str(p["dob_year"] or ""), "sex": p["sex"],
               "relation": p["relation_to_head"], **standing,
               "reason_text": reason_text(standing["reason"], standing["reason_date"], lang, amount, outcome)
               if standing["reason"] else None, "entitlement": None}
        if standing["standing"] == "uninsured":
            ent = entitlement(on=on, dob_year=p["dob_year"], dob_month=p["dob_month"], dob_day=p["dob_day"],
                              ethnicity=p["ethnicity"], certificates=certificates, commune_statuses=statuses,
                              province=province)
            row["entitlement"] = {"key": ent.key, "group": ent.group, "state_paid": ent.state_paid,
                                  "support_share": float(ent.support_share), "until": ent.until,
                                  "paperwork": ent.paperwork(lang), "source": ent.source}
            if not ent.state_paid:
                payers.append((p["id"], Member(ent.group, ent.categories)))
        elif standing["card"] and standing["card"]["group"] == HOUSEHOLD_CARD_GROUP:
            already_paying += 1
        out_members.append(row)
    uninsured = sum(m["standing"] == "uninsured" for m in out_members)
    expiring = sum(m["standing"] == "expiring" for m in out_members)
    if not uninsured and not expiring:
        return None
    premium = None
    if payers:
        result = _premium(on, tuple(m for _, m in payers), province, already_paying)
        premium = {"months": result.months, "total_gross": result.total_gross, "total_support": result.total_support,
                   "total_net": result.total_net, "already_paying": already_paying, "sources": list(result.sources),
                   "members": [{"person_id": pid, "group": m.group, "position": m.position, "net": m.net}
                               for (pid, _), m in zip(payers, result.members, strict=True)]}
    follow_up = last["follow_up"] if last else None
    return {"household_id": h["id"], "code": h["code"], "phone": h["phone"], "village_id": h["village_id"],
            "uninsured": uninsured, "expiring": expiring, "visits": len(visits),
            "last_visit": {"at": last["visited_at"], "outcome": last["outcome"], "reason": last["reason"]}
            if last else None,
            "follow_up": follow_up, "follow_up_due": follow_up is not None and follow_up <= on,
            "members": out_members, "premium": premium}


def _priority(h: dict) -> tuple:
    """Follow-ups due (oldest first), then the most uninsured members per visit already made."""
    due = h["follow_up_due"]
    return (0 if due else 1, h["follow_up"] if due else dt.date.min, -h["uninsured"] / (1 + h["visits"]),
            -h["expiring"], h["code"])


def worklist(*, scope: Scope, as_of: dt.date, lang: str = "vi") -> dict:
    """The work list of the scope's villages on a date, village by village, households in visiting order."""
    village_ids = [v.id for v in scope.villages]
    data = _reads(village_ids, as_of)
    cards, unlinked = defaultdict(list), defaultdict(list)
    for card in card_reads.linked_cards(village_ids=village_ids):
        cards[card["person_id"]].append(card)
    by_personal_id = {p["personal_id"]: p["id"] for p in data["people"] if p["personal_id"]}
    # unlinked cards matter only to residents no linked card covers on the date (_member): most are covered,
    # and their cards need not be read twice
    uncovered = [p["id"] for p in data["people"]
                 if not any(c["valid_from"] <= as_of <= c["valid_to"] for c in cards.get(p["id"], ()))]
    for card in card_reads.unlinked_cards(person_ids=uncovered):
        person_id = card.get("person_id") or by_personal_id.get(card["personal_id"])
        if person_id is not None:
            unlinked[person_id].append(card)
    members = defaultdict(list)
    for p in data["people"]:
        members[p["household_id"]].append(p)
    lists = {v.id: [] for v in scope.villages}
    province = {v.id: v.province_code for v in scope.villages}
    for h in data["households"]:
        if not members.get(h["id"]):
            continue
        row = _household(h, members[h["id"]], data, cards, unlinked, province[h["village_id"]], as_of, lang)
        if row is not None:
            lists[h["village_id"]].append(row)
    villages = []
    for v in scope.villages:
        rows = sorted(lists[v.id], key=_priority)
        villages.append({"code": v.code, "name": v.name, "households": rows,
                         "uninsured": sum(r["uninsured"] for r in rows), "expiring": sum(r["expiring"] for r in rows)})
    return {"scope": scope.label, "as_of": as_of, "lang": lang, "villages": villages,
            "households": sum(len(v["households"]) for v in villages),
            "uninsured": sum(v["uninsured"] for v in villages), "expiring": sum(v["expiring"] for v in villages)}
