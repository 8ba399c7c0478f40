"""Reminders before a card ends: name, phone where known, the card's end, the premium, where to pay.

For one commune, or the villages an officer is assigned to; every file is audited as an export of personal
data (lapses/exports.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from everydoor.campaign.models import AgencyUnit
from everydoor.campaign.selectors import officer_villages
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit
from everydoor.lapses import exports
from everydoor.lapses.services import lapse_list, registers_read

COLUMNS = ("full_name", "phone", "household_code", "village", "card_end", "reason", "date", "premium",
           "household_premium", "where_to_pay", "si_code", "person_id")


def _where_to_pay(commune: AdminUnit) -> str:
    unit = AgencyUnit.objects.filter(communes=commune).order_by("code").first()
    office = unit.name if unit is not None else "Bảo hiểm xã hội"
    return f"{office}, hoặc đại lý thu BHYT tại {commune.name}"


def reminder_rows(*, commune: AdminUnit | None = None, officer=None, as_of: dt.date, until: dt.date) -> pl.DataFrame:
    """The residents to remind: cards ending (or state support ending) in [as_of, until), with names."""
    if (commune is None) == (officer is None):
        raise EverydoorError(ErrorCode.INVALID_INPUT, "name either a commune or an officer")
    regs = registers_read(with_households=True)
    if commune is not None:
        areas, villages = [commune], None
    else:
        village_units = list(officer_villages(officer, on=as_of).select_related("parent"))
        if not village_units:
            raise EverydoorError(ErrorCode.NOT_FOUND, f"{officer.username} has no villages assigned on {as_of}")
        villages = {v.id for v in village_units}
        areas = list({v.parent_id: v.parent for v in village_units}.values())
    frames = []
    for area in areas:
        rows = lapse_list(area=area, as_of=as_of, until=until, regs=regs, scored=False)["rows"]
        if villages is not None:
            rows = rows.filter(pl.col("village_id").is_in(list(villages)))
        frames.append(rows.with_columns(where_to_pay=pl.lit(_where_to_pay(area))))
    rows = pl.concat(frames) if frames else pl.DataFrame()
    names = regs.units.filter(pl.col("level") == "village").select(village_id="unit_id", village="name")
    rows = exports.with_names(rows).join(names, on="village_id", how="left")
    return rows.sort("date", "household_code", nulls_last=True).select(
        [pl.col(c) for c in COLUMNS if c not in ("card_end",)] + [pl.col("valid_to").alias("card_end")]
    ).select(COLUMNS)


def reminders_export(*, commune: AdminUnit | None = None, officer=None, as_of: dt.date, until: dt.date, path: Path,
                     fmt: str | None, actor: str, user=None) -> dict:
    rows = reminder_rows(commune=commune, officer=officer, as_of=as_of, until=until)
    kind = exports.file_format(path, fmt)
    subject = commune.code if commune is not None else f"officer:{officer.username}"
    return exports.export_audited(sheets={"reminders": rows}, path=path, fmt=kind, what="reminders",
                                  area_code=commune.code if commune is not None else "", actor=actor, user=user,
                                  detail={"subject": subject, "as_of": str(as_of), "until": str(until)})
