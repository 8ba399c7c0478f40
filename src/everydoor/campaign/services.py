"""Writes of the campaign domain: agency units and the communes they serve."""

from pathlib import Path

import polars as pl
from django.db import transaction

from everydoor.accounts.services import audit_record
from everydoor.campaign.models import AgencyUnit
from everydoor.campaign.tables import table_read
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit

REQUIRED = ("unit_code", "unit_name", "commune_code")


def agency_units_import(path, *, actor: str = "system", user=None) -> dict:
    """Agency units from CSV/XLSX (unit_code, unit_name, commune_code), one row per commune served.

    Each listed unit's communes are replaced by the file's; all rows or none.
    """
    path = Path(path)
    table = table_read(path, REQUIRED).select(REQUIRED)
    codes = [c for c in table["commune_code"].unique().to_list() if c]
    communes = {u.code: u for u in AdminUnit.objects.filter(level="commune", code__in=codes).select_related("parent")}
    unknown = sorted(set(codes) - set(communes))
    empty = table.filter(pl.any_horizontal(pl.col(c).is_null() | (pl.col(c) == "") for c in REQUIRED)).height
    if unknown or empty:
        detail = []
        if unknown:
            detail.append(f"unknown commune code(s) {', '.join(unknown[:10])}")
        if empty:
            detail.append(f"{empty} row(s) with an empty field")
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{path.name}: {'; '.join(detail)}")
    created = 0
    with transaction.atomic():
        for (unit_code,), rows in table.group_by(["unit_code"], maintain_order=True):
            members = [communes[c] for c in rows["commune_code"].to_list()]
            province = members[0].parent or members[0]
            unit, was_created = AgencyUnit.objects.update_or_create(
                code=unit_code, defaults={"name": rows["unit_name"][0], "province": province})
            unit.communes.set(members)
            created += was_created
        audit_record(actor=actor, user=user, action="import", object_type="agency_units", object_id=path.name,
                     detail={"units": table["unit_code"].n_unique(), "rows": table.height})
    return {"file": path.name, "units": table["unit_code"].n_unique(), "created": created,
            "communes": table.height}
