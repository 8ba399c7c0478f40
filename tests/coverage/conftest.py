"""A small random province: communes, villages, an agency unit, residents, cards and links."""

import datetime as dt
import random

import pytest

from everydoor.campaign.models import AgencyUnit
from everydoor.linkage.models import Link
from tests import factories as f

AS_OF = dt.date(2025, 10, 31)
GROUPS = [("DT", "state_budget"), ("DK", "state_budget"), ("TE", "state_budget"), ("HS", "budget_supported"),
          ("GD", "household"), ("DN", "employer"), ("HT", "si_fund")]


def build_world(seed: int = 7, persons: int = 80, cards: int = 110) -> dict:
    rng = random.Random(seed)
    prov = f.province()
    communes = [f.commune(name=n, prov=prov) for n in ("Xã Mường Bo", "Xã Bảo Thắng", "Xã Gia Phú")]
    villages = {c.pk: [f.village(name=f"Thôn {i}", com=c) for i in range(2)] for c in communes}
    unit = AgencyUnit.objects.create(code="BT", name="BHXH Bảo Thắng", province=prov)
    unit.communes.set(communes[1:])
    pop, car = f.batch(), f.batch("cards")
    people = []
    for i in range(persons):
        com = rng.choice(communes)
        dob = dt.date(rng.randint(1935, 2026), rng.randint(1, 12), rng.randint(1, 28))
        status = rng.choice(["resident"] * 6 + ["moved_out", "deceased"])
        status_date = None
        if status != "resident" or rng.random() < 0.3:
            status_date = dt.date(rng.choice([2023, 2024, 2025]), rng.randint(1, 12), rng.randint(1, 28))
        people.append(f.person(full_name=f"Người {i}", dob=dob, sex=rng.choice("MF"), com=com,
                               vil=rng.choice(villages[com.pk] + [None]), status=status, status_date=status_date,
                               ethnicity=rng.choice(["Mông", "Dao", "Kinh", ""]), bat=pop))
    links = []
    for _ in range(cards):
        start = dt.date(rng.choice([2023, 2024, 2025]), rng.randint(1, 12), 1)
        end = start + dt.timedelta(days=rng.choice([90, 180, 364]))
        group, payer = rng.choice(GROUPS)
        holder = rng.choice(people) if rng.random() < 0.8 else None
        com = rng.choice(communes + [None, None]) if holder else rng.choice(communes + [None])
        c = f.card(group_code=group, payer_group=payer, valid_from=start, valid_to=end, com=com, bat=car,
                   dob=holder.dob if holder else dt.date(1980, 1, 1))
        if holder:
            links.append(Link(card=c, person=holder, method="personal_id"))
    Link.objects.bulk_create(links)
    return {"province": prov, "communes": communes, "villages": villages, "unit": unit}


@pytest.fixture
def world(db):
    return build_world()
