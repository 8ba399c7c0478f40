"""What the pages draw that the stored facts alone cannot give: the change on the year by part, for the
province, every agency unit and every commune, in one pass over the registers (coverage.change)."""

import datetime as dt
import time

from django.db import transaction

from everydoor.campaign.models import AgencyUnit
from everydoor.coverage import columnar
from everydoor.coverage.change import PARTS, change_by_area
from everydoor.coverage.models import ChangePart, CoverageFact
from everydoor.coverage.selectors import year_before
from everydoor.geo.models import AdminUnit


def change_parts_compute(*, as_of: dt.date) -> dict:
    """Replace the change parts of `as_of` (against a year before) for every province, agency unit and commune."""
    started = time.perf_counter()
    date_from = year_before(as_of)
    # the provinces coverage was computed for with residents (the units table holds the whole country)
    provinces = CoverageFact.objects.filter(as_of=as_of, level=CoverageFact.Level.PROVINCE, dimension="",
                                            residents__gt=0).values("area_code")
    communes = list(AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE, province_code__in=provinces)
                    .values_list("id", "code", "province_code"))
    areas: dict[str, list[int]] = {}
    for commune_id, code, province_code in communes:
        areas[f"commune|{code}"] = [commune_id]
        areas.setdefault(f"province|{province_code}", []).append(commune_id)
    for code, commune_id in AgencyUnit.objects.filter(province__province_code__in=provinces).values_list(
            "code", "communes__id"):
        if commune_id is not None:
            areas.setdefault(f"agency_unit|{code}", []).append(commune_id)
    data = columnar.load_frames(dates=[date_from, as_of])
    found = change_by_area(data, date_from, as_of, areas)
    rows = [ChangePart(as_of=as_of, date_from=date_from, level=key.split("|", 1)[0], area_code=key.split("|", 1)[1],
                       part=part, cards=result["cards"]["parts"][part],
                       insured_residents=result["insured_residents"]["parts"][part])
            for key, result in found.items() for part in PARTS
            if result["cards"]["parts"][part] or result["insured_residents"]["parts"][part]]
    with transaction.atomic():
        ChangePart.objects.filter(as_of=as_of).delete()
        ChangePart.objects.bulk_create(rows, batch_size=2000)
    return {"as_of": as_of.isoformat(), "date_from": date_from.isoformat(), "areas": len(found), "rows": len(rows),
            "duration_s": round(time.perf_counter() - started, 2)}


def change_parts(level: str, code: str, as_of: dt.date) -> dict[str, int]:
    """part -> change in valid cards of one area, as materialised (empty when not computed)."""
    return dict(ChangePart.objects.filter(as_of=as_of, level=level, area_code=code).values_list("part", "cards"))
