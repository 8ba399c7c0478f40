"""A small province for the campaign: two agency units, four communes (one served by none), villages,
coverage facts that add up, officers imported from a real file."""

import datetime as dt
import uuid

import pytest

from everydoor.campaign.models import AgencyUnit, Visit, VisitMember
from everydoor.coverage.models import CoverageFact
from tests import factories as f

BASELINE = dt.date(2025, 9, 30)
LATER = dt.date(2025, 10, 31)
ROSTER_HEADER = "username,full_name,unit_code,villages,phone\n"

# commune name -> [(residents, insured, cards) per village]
VILLAGES = {
    "Xã Mường Bo": [(400, 300, 310), (250, 240, 245)],
    "Xã Bảo Thắng": [(900, 800, 820), (300, 200, 205), (120, 110, 110)],
    "Xã Gia Phú": [(500, 470, 480)],
    "Xã Bản Lầu": [(350, 280, 290), (150, 100, 104)],
}


def facts_write(world: dict, day: dt.date, village_numbers: dict[str, list[tuple[int, int, int]]]) -> None:
    """Coverage facts of a date, village rows summed up to communes, agency units and the province.

    A commune also holds cards no village does (unlinked ones, placed at the commune): +3 each.
    """
    rows, totals = [], {}

    def add(level, code, numbers):
        rows.append(CoverageFact(as_of=day, level=level, area_code=code, residents=numbers[0],
                                 insured_residents=numbers[1], cards=numbers[2]))
        old = totals.get(code, (0, 0, 0))
        totals[code] = tuple(a + b for a, b in zip(old, numbers, strict=True))

    province = (0, 0, 0)
    for commune in world["communes"]:
        numbers = village_numbers[commune.name]
        for village, own in zip(world["villages"][commune.pk], numbers, strict=True):
            add("village", village.code, own)
        commune_total = tuple(sum(x) for x in zip(*numbers, strict=True))
        commune_total = (commune_total[0], commune_total[1], commune_total[2] + 3)
        add("commune", commune.code, commune_total)
        province = tuple(a + b for a, b in zip(province, commune_total, strict=True))
    for unit in world["units"]:
        unit_total = tuple(sum(totals[c.code][i] for c in unit.communes.all()) for i in range(3))
        rows.append(CoverageFact(as_of=day, level="agency_unit", area_code=unit.code, residents=unit_total[0],
                                 insured_residents=unit_total[1], cards=unit_total[2]))
    rows.append(CoverageFact(as_of=day, level="province", area_code=world["province"].code, residents=province[0],
                             insured_residents=province[1], cards=province[2]))
    CoverageFact.objects.bulk_create(rows)


def build_world() -> dict:
    prov = f.province()
    communes = [f.commune(name=name, prov=prov) for name in VILLAGES]
    villages = {c.pk: [f.village(name=f"Thôn {c.name[3:]} {i + 1}", com=c) for i in range(len(VILLAGES[c.name]))]
                for c in communes}
    north = AgencyUnit.objects.create(code="BHXH-NORTH", name="BHXH North", province=prov)
    north.communes.set(communes[:2])
    south = AgencyUnit.objects.create(code="BHXH-SOUTH", name="BHXH South", province=prov)
    south.communes.set(communes[2:3])
    world = {"province": prov, "communes": communes, "villages": villages, "units": [north, south]}
    facts_write(world, BASELINE, VILLAGES)
    return world


def roster(world: dict) -> str:
    """Three officers of North (two share Mường Bo's first village), one of South (a whole commune)."""
    bo, bt, gp = world["communes"][:3]
    v = world["villages"]
    return ROSTER_HEADER + "\n".join([
        f"vanan,Nguyễn Văn An,BHXH-NORTH,{v[bo.pk][0].code};{v[bo.pk][1].code},0912000001",
        f"thibinh,Lò Thị Bình,BHXH-NORTH,{v[bo.pk][0].code};{bt.code},0912000002",
        f"vancuong,Giàng Văn Cường,BHXH-NORTH,{v[bt.pk][0].code},",
        f"thidung,Hoàng Thị Dung,BHXH-SOUTH,{gp.code},0912000004",
    ]) + "\n"


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def officers(world, tmp_path):
    from everydoor.campaign.officers import officers_import

    path = tmp_path / "officers.csv"
    path.write_text(roster(world), encoding="utf-8")
    officers_import(path, as_of=BASELINE, actor="test")
    return path


def visit(household, officer, outcome, *, day=dt.date(2025, 10, 10), members=(), reason="", follow_up=None,
          confirmed=None):
    """A visit row as the visits service stores it; `confirmed` maps members to the card a later import brought."""
    from django.utils import timezone

    row = Visit.objects.create(uuid=uuid.uuid4(), household=household, officer=officer, outcome=outcome,
                               reason=reason, follow_up=follow_up, content_hash="x" * 64,
                               visited_at=timezone.make_aware(dt.datetime.combine(day, dt.time(9))))
    for person in members:
        card = (confirmed or {}).get(person)
        VisitMember.objects.create(visit=row, person=person, confirmed_card=card,
                                   confirmed_at=timezone.now() if card else None)
    return row
