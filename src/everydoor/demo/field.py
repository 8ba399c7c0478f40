"""The demo's field work before any visit: the clock, the baseline, officers and managers, targets.

Officers go through the real roster import (a file written beside the other demo files); the 96.5%
goal by the end of 2025 (Decision 462/QĐ-BHXH) is allocated on the coverage of 30 September 2025.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from everydoor.core.text import fold
from everydoor.demo.names import draw_part
from everydoor.demo.targets import PLAN_DECISION

TODAY = dt.date(2025, 11, 3)  # the demo's working day: a few weeks into the campaign
BASELINE = dt.date(2025, 9, 30)
DUE = dt.date(2025, 12, 31)
GOAL_RATE = "0.965"
OFFICER_ETHNICITIES = ("Kinh", "Tày", "Mông", "Dao", "Thái", "Giáy", "Nùng")
OFFICER_SHARES = (0.5, 0.15, 0.12, 0.08, 0.07, 0.04, 0.04)
MUONG_BO_OFFICER = "canbo.muongbo"  # a demo login: the first officer of Xã Mường Bo
UNIT_MANAGER = "baothang"  # a demo login: the manager of BHXH-BAOTHANG


def _username(full_name: str) -> str:
    """Given name and the other parts' initials, the usual Vietnamese office handle: 'Nguyễn Văn An' -> 'annv'."""
    parts = fold(full_name).split()
    return parts[-1] + "".join(p[0] for p in parts[:-1])


def roster_frame(*, seed: int = 2025) -> pl.DataFrame:
    """2 to 4 officers per commune of the province, each working a contiguous share of its villages."""
    from everydoor.campaign.models import AgencyUnit
    from everydoor.geo.models import AdminUnit

    rng = np.random.default_rng(seed)
    units = dict(AgencyUnit.communes.through.objects.order_by("agencyunit__code")
                 .values_list("adminunit_id", "agencyunit__code"))
    villages = pl.DataFrame(list(AdminUnit.objects.filter(level="village", parent_id__in=list(units))
                                 .order_by("parent__code", "code").values_list("parent_id", "parent__key", "code")),
                            schema=["commune_id", "commune_key", "village_code"], orient="row")
    rows = []
    for (commune_id, key), group in villages.group_by(["commune_id", "commune_key"], maintain_order=True):
        codes = group["village_code"].to_list()
        count = min(int(rng.integers(2, 5)), len(codes))
        for number, share in enumerate(np.array_split(np.array(codes), count)):
            rows.append((units[commune_id], key, number, ";".join(share.tolist())))
    n = len(rows)
    ethnicity = rng.choice(len(OFFICER_ETHNICITIES), n, p=OFFICER_SHARES)
    male = rng.random(n) < 0.55
    parts = [draw_part(ethnicity, male, part, OFFICER_ETHNICITIES, rng) for part in range(3)]
    names = [" ".join(p) for p in zip(*(part.to_list() for part in parts), strict=True)]
    usernames, seen = [], {}
    for (_, key, number, _), name in zip(rows, names, strict=True):
        handle = MUONG_BO_OFFICER if key == "muongbo" and number == 0 else _username(name)
        seen[handle] = seen.get(handle, 0) + 1
        usernames.append(handle if seen[handle] == 1 else f"{handle}{seen[handle]}")
    return pl.DataFrame({
        "username": usernames, "full_name": names, "unit_code": [r[0] for r in rows],
        "villages": [r[3] for r in rows],
        "phone": [f"09{x:08d}" for x in rng.integers(10_000_000, 99_999_999, n)],
    })


def managers_create(*, password: str) -> list[str]:
    """One manager per agency unit (username: the unit's code without 'BHXH-'); only the demo login gets a
    password here (hashing one costs a third of a second), the others get theirs from an administrator."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from everydoor.accounts.models import Profile, Role
    from everydoor.accounts.services import user_upsert
    from everydoor.campaign.models import AgencyUnit

    User = get_user_model()
    units = {u.code.removeprefix("BHXH-").lower(): u for u in AgencyUnit.objects.order_by("code")}
    with transaction.atomic():
        existing = set(User.objects.filter(username__in=list(units)).values_list("username", flat=True))
        User.objects.bulk_create([User(username=name, password=make_password(None))
                                  for name in units if name not in existing])
        users = {u.username: u for u in User.objects.filter(username__in=list(units))}
        Profile.objects.filter(user__in=users.values()).delete()
        Profile.objects.bulk_create([Profile(user=users[name], role=Role.UNIT_MANAGER, area_id=unit.province_id,
                                             agency_unit=unit, full_name=f"Giám đốc {unit.name}")
                                     for name, unit in units.items()])
        if UNIT_MANAGER in units:
            unit = units[UNIT_MANAGER]
            user_upsert(username=UNIT_MANAGER, password=password, role=Role.UNIT_MANAGER,
                        area=unit.province, agency_unit=unit)
    return sorted(units)


def field_setup(*, out_dir: Path, password: str, seed: int = 2025, step=print) -> dict:
    """The clock, the roster through the real import, managers and targets (on the baseline's coverage
    facts, computed by the stage before)."""
    from django.contrib.auth import get_user_model

    from everydoor.campaign.officers import officers_import
    from everydoor.campaign.targets import targets_allocate
    from everydoor.core.dates import today_set
    from everydoor.geo.models import AdminUnit

    today_set(TODAY)
    roster = out_dir / "officers.csv"
    roster_frame(seed=seed).write_csv(roster)
    officers = officers_import(roster, as_of=BASELINE, actor="demo")
    managers = managers_create(password=password)
    officer = get_user_model().objects.filter(username=MUONG_BO_OFFICER).first()
    if officer is not None:
        officer.set_password(password)
        officer.save(update_fields=["password"])
    province = AdminUnit.objects.get(level=AdminUnit.Level.PROVINCE, code="15")
    targets = targets_allocate(area=province, goal_rate=GOAL_RATE, due=DUE, decision=PLAN_DECISION,
                               as_of=BASELINE, actor="demo")
    step(f"field: {officers['officers']} officers, {len(managers)} unit managers, target {targets['target']:,} "
         f"cards by {DUE.isoformat()} over {targets['targets']:,} targets; demo clock {TODAY.isoformat()}")
    return {"officers": officers, "managers": len(managers), "targets": targets}


def demo_logins(password: str) -> str:
    """The demo's accounts, one per role, all with the demo password."""
    return "\n".join([
        f"demo logins (password {password}):",
        "  demo            province leadership (Tỉnh Lào Cai)",
        f"  {UNIT_MANAGER:<15} agency unit manager (BHXH-BAOTHANG)",
        f"  {MUONG_BO_OFFICER:<15} field officer (villages of Xã Mường Bo)",
        "  muongbo         commune chairman (Xã Mường Bo)",
        "  clinic          clinic desk (look-up only)",
    ])
