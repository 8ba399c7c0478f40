"""A small province for the web tests, built through the real services: two agency units, three communes,
villages, households, residents with cards and links, plans, and coverage computed for two dates."""

import datetime as dt

from everydoor.accounts.models import Role
from everydoor.accounts.services import user_upsert
from everydoor.campaign.models import AgencyUnit, OfficerAssignment
from everydoor.coverage.digest import change_parts_compute
from everydoor.coverage.models import ChangePart, Plan
from everydoor.coverage.services import coverage_compute
from everydoor.linkage.models import Link
from tests import factories as f

AS_OF = dt.date(2025, 10, 31)
YEAR_BEFORE = dt.date(2024, 10, 31)
PW = "pw-123456"


def build(*, compute: bool = True) -> dict:
    prov = f.province(code="98", name="Tỉnh Thử Nghiệm")
    prov.lat, prov.lon = 22.3, 104.0
    prov.save()
    a = f.commune("Xã Mường Bo", prov=prov)
    b = f.commune("Xã Bản Lầu", prov=prov)
    c = f.commune("Phường Cam Đường", prov=prov)
    for unit, (lat, lon) in zip((a, b, c), ((22.4, 103.9), (22.6, 104.1), (22.45, 104.0)), strict=True):
        unit.lat, unit.lon = lat, lon
        unit.save()
    unit_ab = AgencyUnit.objects.create(code="U1", name="BHXH cơ sở Mường Khương", province=prov)
    unit_ab.communes.set([a, b])
    unit_c = AgencyUnit.objects.create(code="U2", name="BHXH cơ sở Cam Đường", province=prov)
    unit_c.communes.set([c])
    villages = {com.pk: [f.village(name=n, com=com) for n in ("Thôn Nậm Cang", "Thôn Pạc Tà")] for com in (a, b, c)}
    pop, cards = f.batch(), f.batch("cards")
    households = {}
    seq = 0
    for com in (a, b, c):
        for v in villages[com.pk]:
            for h in range(2):
                hh = f.household(com, v)
                households.setdefault(com.pk, []).append(hh)
                for m in range(3):
                    seq += 1
                    pid = f"0980{seq:08d}"
                    person = f.person(full_name=f"Giàng Thị Mai {seq}", personal_id=pid, hh=hh, bat=pop,
                                      relation_to_head="Chủ hộ" if m == 0 else "Con",
                                      dob=dt.date(1960 + seq % 50, 1 + seq % 12, 1 + seq % 27))
                    if (seq + h) % 3:  # two in three insured now; a third of those lapsed since last year
                        card = f.card(full_name=person.full_name, personal_id=pid, com=com, bat=cards,
                                      valid_from=dt.date(2025, 1, 1) if seq % 4 else dt.date(2024, 1, 1),
                                      valid_to=dt.date(2025, 12, 31))
                        Link.objects.create(card=card, person=person, method="personal_id")
    other = _other_province(pop, cards)
    for com, value in ((a, 20), (b, 10), (c, 12)):
        Plan.objects.create(area=com, year=2025, value=value, created_by="test")
    Plan.objects.create(area=prov, year=2025, value=42, created_by="test")
    if compute:
        coverage_compute(as_of=AS_OF)
        coverage_compute(as_of=YEAR_BEFORE)
        change_parts_compute(as_of=AS_OF)
    return {"province": prov, "a": a, "b": b, "c": c, "unit_ab": unit_ab, "unit_c": unit_c,
            "villages": villages, "households": households, "other": other}


OTHER_NAMES = ("Tỉnh Bên Cạnh", "Xã Ngoài Vùng", "Thôn Xa Xôi", "Lò Thị Ngoài", "010099999999", "BHXH Bên Cạnh")


def _other_province(pop, cards) -> dict:
    """Another province: what no user of the test province may see (the access matrix's targets)."""
    from everydoor.linkage.models import ReviewItem

    prov = f.province(code="97", name=OTHER_NAMES[0])
    commune = f.commune(OTHER_NAMES[1], prov=prov)
    village = f.village(OTHER_NAMES[2], com=commune)
    unit = AgencyUnit.objects.create(code="U9", name=OTHER_NAMES[5], province=prov)
    unit.communes.set([commune])
    hh = f.household(commune, village)
    person = f.person(full_name=OTHER_NAMES[3], personal_id=OTHER_NAMES[4], hh=hh, bat=pop)
    card = f.card(full_name=OTHER_NAMES[3], personal_id=OTHER_NAMES[4], com=commune, bat=cards)
    stray = f.card(full_name=OTHER_NAMES[3] + " B", com=commune, bat=cards)
    item = ReviewItem.objects.create(card=stray, person=person, match_probability=0.7)
    Link.objects.create(card=card, person=person, method="personal_id")
    return {"province": prov, "commune": commune, "village": village, "unit": unit, "household": hh,
            "person": person, "review_item": item}


def users(w: dict) -> dict:
    """One user per role; the commune-level ones in commune A (unit manager: unit A+B)."""
    # as `everydoor officers import` makes them: the province as area, the agency unit, a full name
    officer = user_upsert(username="officer", password=PW, role=Role.OFFICER, area=w["province"],
                          agency_unit=w["unit_ab"])
    officer.profile.full_name = "Nguyễn Văn An"
    officer.profile.save()
    OfficerAssignment.objects.create(officer=officer, village=w["villages"][w["a"].pk][0],
                                     valid_from=dt.date(2025, 1, 1))
    return {
        "admin": user_upsert(username="admin", password=PW, role=Role.PROVINCE, area=w["province"], is_staff=True),
        "leader": user_upsert(username="leader", password=PW, role=Role.PROVINCE, area=w["province"]),
        "manager": user_upsert(username="manager", password=PW, role=Role.UNIT_MANAGER, area=None,
                               agency_unit=w["unit_ab"]),
        "chair": user_upsert(username="chair", password=PW, role=Role.COMMUNE_CHAIR, area=w["a"]),
        "officer": officer,
        "clinic": user_upsert(username="clinic", password=PW, role=Role.CLINIC, area=w["province"]),
    }


def remove() -> None:
    """Delete what build() and users() made (for module-scoped worlds, built outside a test's transaction)."""
    from django.contrib.auth import get_user_model

    from everydoor.accounts.models import AuditEvent
    from everydoor.core.models import JobRun
    from everydoor.coverage.models import CoverageFact
    from everydoor.geo.models import AdminUnit
    from everydoor.linkage.models import ReviewItem
    from everydoor.registry.models import Card, Household, ImportBatch, Person

    ReviewItem.objects.all().delete()
    for model in (Link, Card, Person, Household, CoverageFact, ChangePart, JobRun, Plan, OfficerAssignment,
                  AuditEvent):
        model.objects.all().delete()
    get_user_model().objects.all().delete()
    AgencyUnit.objects.all().delete()
    ImportBatch.objects.all().delete()
    for level in ("village", "commune", "province"):
        AdminUnit.objects.filter(level=level, province_code__in=("97", "98")).delete()
