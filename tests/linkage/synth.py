"""A small synthetic register for linkage tests: residents, and cards with the errors clerks make."""

import datetime as dt
import random

from everydoor.core.text import fold
from everydoor.registry.models import Card, Household, Person
from tests import factories

SURNAMES = ["Giàng", "Sùng", "Vàng", "Lù", "Thào", "Hầu", "Lý", "Mua", "Vừ", "Hạng", "Nguyễn", "Trần", "Lò",
            "Hoàng", "Phạm"]
MIDDLES = ["A", "Thị", "Seo", "Văn", "Mí", "Xuân"]
GIVENS = ["Páo", "Chứ", "Dính", "Sử", "Mỷ", "Pà", "Lử", "Chá", "Sính", "Tủa", "Mai", "Lan", "Hùng", "Dũng",
          "Hoa", "Thảo", "Cở", "Chơ", "Sình", "Vảng", "Súa", "Dế", "Lìn", "Chỉn"]
VARIANTS = {"Giàng": "Dàng", "Sùng": "Xùng", "Seo": "Sểnh", "Chứ": "Trứ", "Páo": "Pao"}


def personal_id(rng: random.Random, sex: str, year: int) -> str:
    digit = (0 if sex == "M" else 1) + 2 * ((year - 1900) // 100)
    return f"010{digit}{year % 100:02d}{rng.randrange(10**6):06d}"


def distort(rng: random.Random, name: str) -> str:
    """One of the errors seen in card registers."""
    tokens = name.split()
    kind = rng.randrange(5)
    if kind == 0:
        return " ".join(VARIANTS.get(t, t) for t in tokens)
    if kind == 1:
        return fold(name).title()
    if kind == 2:
        return " ".join(tokens[1:] + tokens[:1])
    if kind == 3:
        return name.upper()
    return "  ".join(tokens)


def build(n_persons: int = 400, *, seed: int = 7, with_id_share: float = 0.5) -> dict:
    """Residents in 3 communes, 90% with a card (some renewed). Returns truth {card_id: person_id}."""
    rng = random.Random(seed)
    communes = [factories.commune(name=f"Xã Test {i}") for i in range(3)]
    villages = {c.id: [factories.village(name=f"Thôn Bản {c.id} {j}", com=c) for j in range(3)] for c in communes}
    pop_batch, card_batch = factories.batch("population"), factories.batch("cards")
    households = []
    for i in range(n_persons // 4):
        com = communes[i % 3]
        households.append(Household(code=f"T{seed}-{i:06d}", commune=com, village=rng.choice(villages[com.id])))
    Household.objects.bulk_create(households)
    persons = []
    for i in range(n_persons):
        hh = households[i // 4]
        sex = rng.choice("MF")
        dob = dt.date(rng.randint(1950, 2020), rng.randint(1, 12), rng.randint(1, 28))
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLES)} {rng.choice(GIVENS)}"
        pid = personal_id(rng, sex, dob.year)
        persons.append(Person(
            record_key=pid, personal_id=pid, full_name=name, name_key=fold(name), dob=dob, dob_year=dob.year,
            dob_month=dob.month, dob_day=dob.day, sex=sex, household=hh, commune=hh.commune, village=hh.village,
            address=f"{hh.village.name}, {hh.commune.name}", batch=pop_batch,
        ))
    Person.objects.bulk_create(persons)
    cards, owners = [], []
    for i, person in enumerate(persons):
        if rng.random() > 0.9:
            continue
        si_code = f"15{i:08d}"
        periods = [dt.date(2025, 1, 1)] + ([dt.date(2024, 1, 1)] if rng.random() < 0.2 else [])
        for k, start in enumerate(periods):
            with_id = k == 0 and rng.random() < with_id_share
            name = person.full_name if rng.random() < 0.4 else distort(rng, person.full_name)
            y, m, d = person.dob_year, person.dob_month, person.dob_day
            r = rng.random()
            if r < 0.1 and d <= 12:
                m, d = d, m  # day and month swapped
            elif r < 0.2:
                m, d = None, None  # year only
            number = f"DT215{si_code}"
            cards.append(Card(
                record_key=f"{number}|{start}", card_number=number, si_code=si_code,
                personal_id=person.personal_id if with_id else "", full_name=name, name_key=fold(name),
                dob=dt.date(y, m, d) if m and d else None, dob_year=y, dob_month=m, dob_day=d, sex=person.sex,
                group_code="DT", benefit_level=2, valid_from=start, valid_to=start.replace(month=12, day=31),
                commune=person.commune if rng.random() < 0.9 else None, address=person.address, batch=card_batch,
            ))
            owners.append(person)
    Card.objects.bulk_create(cards)
    return {"truth": {c.id: p.id for c, p in zip(cards, owners, strict=True)}, "persons": persons, "cards": cards,
            "communes": communes}
