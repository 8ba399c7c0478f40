"""The lapse page's figures for every area of a province, computed once per version of the registers.

The province's lapse list is computed once (and scored, when a risk model is trained); each agency unit's
and commune's summary and forecast come from its part of those rows, so the areas add up to the province.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from django.db import transaction

from everydoor.campaign.models import AgencyUnit
from everydoor.coverage import columnar
from everydoor.geo.models import AdminUnit
from everydoor.lapses import forecast as fc
from everydoor.lapses import report, risk
from everydoor.lapses.models import LapseDigest
from everydoor.lapses.services import Registers, area_communes, lapse_rows, with_risk


def horizon(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """Lapsing before 1 January next; the forecast at the year's end (the next year's, on 31 December)."""
    at = dt.date(as_of.year, 12, 31)
    return dt.date(as_of.year + 1, 1, 1), at if at > as_of else dt.date(as_of.year + 1, 12, 31)


def digests_compute(regs: Registers, *, province: AdminUnit, as_of: dt.date) -> int:
    """Replace the province's digests: the province, each of its agency units, each of its communes."""
    until, at = horizon(as_of)
    model = risk.latest()
    communes, _ = area_communes(province)
    rows = with_risk(lapse_rows(regs, as_of=as_of, until=until, commune_ids=communes, province=province.code), regs,
                  model)
    # The forecast counts the cards due before its own date (a card ending on 31 December is valid on it).
    due = lapse_rows(regs, as_of=as_of, until=at, commune_ids=communes, province=province.code)
    rates = fc.renewal_rates(regs, as_of=as_of, province=province.code)
    version = columnar.version_key()
    areas: list[tuple[str, object, list[int]]] = [("province", province, communes)]
    for unit in AgencyUnit.objects.filter(province=province).prefetch_related("communes").order_by("code"):
        areas.append(("agency_unit", unit, [c.id for c in unit.communes.all()]))
    for commune in AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE, id__in=communes).order_by("code"):
        areas.append(("commune", commune, [commune.id]))
    digests = []
    for level, area, ids in areas:
        part = rows if level == "province" else rows.filter(pl.col("commune_id").is_in(ids))
        part_due = due if level == "province" else due.filter(pl.col("commune_id").is_in(ids))
        digests.append(LapseDigest(
            level=level, area_code=area.code, province_code=province.code, as_of=as_of, until=until,
            version=version, model_version=model.version if model is not None else None,
            summary=report.summarize(part, regs.units),
            forecast=fc.forecast(area=area, as_of=as_of, at=at, regs=regs, rows=part_due, rates=rates,
                                 today=as_of)))
    with transaction.atomic():
        LapseDigest.objects.filter(province_code=province.code).delete()
        LapseDigest.objects.bulk_create(digests)
    return len(digests)
