"""Officers and their villages, imported from the agency's roster (CSV or XLSX).

Columns: username, full_name, unit_code, villages, phone. `villages` holds village or commune codes
separated by ";" (a commune code stands for all its villages). The file is the whole roster of the
agency units it names: an officer of those units who is no longer in it keeps their account but
loses their villages. Assignments are dated: re-importing on a date closes the assignments no
longer listed the day before and opens new ones on that date, so past visits keep their officer.
"""

import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q

from everydoor.accounts.models import Profile, Role
from everydoor.accounts.services import audit_record
from everydoor.campaign.models import AgencyUnit, OfficerAssignment
from everydoor.campaign.tables import table_read
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit

COLUMNS = ("username", "full_name", "unit_code", "villages", "phone")
REQUIRED = ("username", "full_name", "unit_code", "villages")
MAX_PROBLEMS = 8


def _villages_by_code(codes: set[str]) -> tuple[dict[str, tuple[int, int]], dict[str, list[tuple[int, int]]]]:
    """code -> (village id, commune id) for villages; commune code -> its villages, for communes."""
    villages = {code: (pk, parent) for code, pk, parent in AdminUnit.objects.filter(
        level=AdminUnit.Level.VILLAGE, code__in=codes).values_list("code", "pk", "parent_id")}
    communes = dict(AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE, code__in=codes - set(villages))
                    .values_list("pk", "code"))
    of_commune: dict[str, list[tuple[int, int]]] = {code: [] for code in communes.values()}
    for pk, parent in AdminUnit.objects.filter(level=AdminUnit.Level.VILLAGE, parent_id__in=communes).values_list(
            "pk", "parent_id"):
        of_commune[communes[parent]].append((pk, parent))
    return villages, of_commune


def _parse(path: Path, rows: list[dict]) -> tuple[list[dict], list[str]]:
    """Each row checked against the units and places in the database; problems name row and field."""
    units = {u.code: u for u in AgencyUnit.objects.all()}
    served = {(unit_id, commune_id) for unit_id, commune_id in
              AgencyUnit.communes.through.objects.values_list("agencyunit_id", "adminunit_id")}
    codes = {c.strip() for row in rows for c in row["villages"].split(";") if c.strip()}
    villages, of_commune = _villages_by_code(codes)
    existing_roles = dict(Profile.objects.filter(user__username__in=[r["username"] for r in rows])
                          .values_list("user__username", "role"))
    seen: dict[str, int] = {}
    parsed, problems = [], []
    for number, row in enumerate(rows, start=2):  # row 1 is the header, as a spreadsheet numbers it
        where = f"{path.name} row {number}"
        username, unit_code = row["username"], row["unit_code"]
        if not username:
            problems.append(f"{where}, username: empty")
            continue
        if username in seen:
            problems.append(f"{where}, username: {username!r} is also on row {seen[username]}")
            continue
        seen[username] = number
        if existing_roles.get(username, Role.OFFICER) != Role.OFFICER:
            problems.append(f"{where}, username: {username!r} is a {existing_roles[username]} account, not an officer")
        if not row["full_name"]:
            problems.append(f"{where}, full_name: empty")
        unit = units.get(unit_code)
        if unit is None:
            problems.append(f"{where}, unit_code: no agency unit has the code {unit_code!r}" if unit_code
                            else f"{where}, unit_code: empty")
        assigned: set[int] = set()
        listed = [c.strip() for c in row["villages"].split(";") if c.strip()]
        if not listed:
            problems.append(f"{where}, villages: empty (village or commune codes separated by ';')")
        for code in listed:
            places = [villages[code]] if code in villages else of_commune.get(code)
            if places is None:
                problems.append(f"{where}, villages: no village or commune has the code {code!r}")
                continue
            outside = [commune for _, commune in places if unit is not None and (unit.pk, commune) not in served]
            if outside:
                problems.append(f"{where}, villages: {code!r} is not in a commune that {unit_code} serves")
                continue
            assigned.update(village for village, _ in places)
        parsed.append({"username": username, "full_name": row["full_name"], "unit": unit,
                       "phone": row.get("phone", ""), "villages": assigned})
    return parsed, problems


def officers_import(path, *, as_of: dt.date, actor: str, user=None) -> dict:
    """Create or update the officers of a roster file and date their village assignments; all rows or none.

    New accounts get an unusable password: someone must set one before the officer can sign in.
    """
    path = Path(path)
    table = table_read(path, REQUIRED)
    rows = table.select(c for c in COLUMNS if c in table.columns).to_dicts()
    if not rows:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{path.name}: no officers in the file")
    parsed, problems = _parse(path, rows)
    if problems:
        more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
        raise EverydoorError(ErrorCode.INVALID_INPUT, "; ".join(problems[:MAX_PROBLEMS]) + more)
    with transaction.atomic():
        created, officers = _accounts_write(parsed)
        opened, closed = _assignments_write(parsed, officers, as_of=as_of)
        result = {"file": path.name, "as_of": as_of.isoformat(), "officers": len(parsed), "created": created,
                  "updated": len(parsed) - created, "assignments_opened": opened, "assignments_closed": closed,
                  "passwords_to_set": created}
        audit_record(actor=actor, user=user, action="import", object_type="officers", object_id=path.name,
                     detail=result)
    return result


def _accounts_write(parsed: list[dict]) -> tuple[int, dict[str, object]]:
    """Users and profiles, in bulk; new users with an unusable password."""
    User = get_user_model()
    usernames = [p["username"] for p in parsed]
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    new = [User(username=name, password=make_password(None)) for name in usernames if name not in users]
    User.objects.bulk_create(new)
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    profiles = {p.user_id: p for p in Profile.objects.filter(user__in=users.values())}
    to_create, to_update = [], []
    for row in parsed:
        user = users[row["username"]]
        fields = {"role": Role.OFFICER, "agency_unit": row["unit"], "area_id": row["unit"].province_id,
                  "full_name": row["full_name"], "phone": row["phone"]}
        profile = profiles.get(user.pk)
        if profile is None:
            to_create.append(Profile(user=user, **fields))
        else:
            for name, value in fields.items():
                setattr(profile, name, value)
            to_update.append(profile)
    Profile.objects.bulk_create(to_create)
    Profile.objects.bulk_update(to_update, ["role", "agency_unit", "area", "full_name", "phone"], batch_size=500)
    return len(new), users


def _assignments_write(parsed: list[dict], officers: dict, *, as_of: dt.date) -> tuple[int, int]:
    """Close what is no longer listed (the day before as_of), open what is new (from as_of)."""
    wanted = {(officers[row["username"]].pk, village) for row in parsed for village in row["villages"]}
    unit_ids = {row["unit"].pk for row in parsed}
    roster = set(Profile.objects.filter(role=Role.OFFICER, agency_unit_id__in=unit_ids).values_list("user_id", flat=True))
    roster |= {user.pk for user in officers.values()}
    current = list(OfficerAssignment.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=as_of), officer_id__in=roster, valid_from__lte=as_of))
    held = {(a.officer_id, a.village_id) for a in current}
    ending = [a for a in current if (a.officer_id, a.village_id) not in wanted]
    # An assignment opened on the same day never took effect: it goes, rather than end before it began.
    OfficerAssignment.objects.filter(pk__in=[a.pk for a in ending if a.valid_from >= as_of]).delete()
    closing = [a for a in ending if a.valid_from < as_of]
    for assignment in closing:
        assignment.valid_to = as_of - dt.timedelta(days=1)
    OfficerAssignment.objects.bulk_update(closing, ["valid_to"], batch_size=500)
    opening = [OfficerAssignment(officer_id=officer, village_id=village, valid_from=as_of)
               for officer, village in sorted(wanted - held)]
    OfficerAssignment.objects.bulk_create(opening, batch_size=1000)
    return len(opening), len(ending)
