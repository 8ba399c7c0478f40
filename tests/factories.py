"""Small factories for tests: real model rows, minimal fields. Registers in bulk come from the importers."""

import datetime as dt
import itertools

from everydoor.core.text import fold, unit_key
from everydoor.geo.models import AdminUnit
from everydoor.registry.models import Card, Household, ImportBatch, Person

_seq = itertools.count(1)


def province(code="15", name="Tỉnh Lào Cai"):
    unit, _ = AdminUnit.objects.get_or_create(
        code=code, defaults={"name": name, "key": unit_key(name), "level": "province", "province_code": code}
    )
    return unit


def commune(name="Xã Mường Bo", code=None, prov=None):
    prov = prov or province()
    code = code or f"9{next(_seq):04d}"
    return AdminUnit.objects.create(
        code=code, name=name, key=unit_key(name), level="commune", kind=name.split()[0].lower(),
        parent=prov, province_code=prov.code,
    )


def village(name="Thôn Nậm Cang", com=None):
    com = com or commune()
    return AdminUnit.objects.create(
        code=f"{com.code}-{next(_seq)}", name=name, key=unit_key(name), level="village",
        parent=com, province_code=com.province_code,
    )


def batch(kind="population", as_of=dt.date(2025, 10, 31)):
    return ImportBatch.objects.create(kind=kind, file_name=f"test-{kind}.csv", file_sha256=f"{next(_seq):064d}",
                                      as_of=as_of, status="done")


def household(com, vil=None, code=None):
    return Household.objects.create(code=code or f"HH{next(_seq):08d}", commune=com, village=vil)


def person(*, full_name="Giàng A Páo", dob=dt.date(1990, 5, 17), sex="M", personal_id=None, com=None,
           vil=None, hh=None, status="resident", status_date=None, ethnicity="Mông", bat=None, **extra):
    com = com or (hh.commune if hh else commune())
    return Person.objects.create(
        record_key=personal_id or f"k{next(_seq)}", personal_id=personal_id, full_name=full_name,
        name_key=fold(full_name), dob=dob, dob_year=dob.year, dob_month=dob.month, dob_day=dob.day, sex=sex,
        ethnicity=ethnicity, household=hh, commune=com, village=vil or (hh.village if hh else None),
        status=status, status_date=status_date, batch=bat or batch(), **extra,
    )


def card(*, si_code=None, group_code="DT", level=2, valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31),
         full_name="Giàng A Páo", dob=dt.date(1990, 5, 17), sex="M", personal_id="", com=None, bat=None, **extra):
    si_code = si_code or f"15{next(_seq):08d}"
    number = f"{group_code}{level}15{si_code}"
    return Card.objects.create(
        record_key=f"{number}|{valid_from.isoformat()}", card_number=number, si_code=si_code, personal_id=personal_id,
        full_name=full_name, name_key=fold(full_name), dob=dob, dob_year=dob.year if dob else None,
        dob_month=dob.month if dob else None, dob_day=dob.day if dob else None, sex=sex, group_code=group_code,
        benefit_level=level, valid_from=valid_from, valid_to=valid_to, commune=com, batch=bat or batch("cards"),
        **extra,
    )
