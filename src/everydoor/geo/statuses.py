"""`import area-statuses`: communes' dated standing on the lists the law attaches support to (docs/formats.md).

A commune is named by code or as users name it ("Mường Bo", "Xã Mường Bo"). All rows or none. A status
is keyed by commune, status and start date: the same file again changes nothing, and a later file that
gives an end date (the commune left the list) replaces the open-ended row.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from django.db import transaction

from everydoor.accounts.services import audit_record
from everydoor.core.errors import EverydoorError
from everydoor.core.tables import iso_date, problem, read_table, refuse_problems, words
from everydoor.geo.models import AdminUnit, AreaStatus
from everydoor.geo.selectors import area_resolve

REQUIRED = ("commune", "status", "effective_from")
OPTIONAL = ("effective_to", "source")
ALIASES = {"commune_code": "commune", "commune_name": "commune", "from": "effective_from", "to": "effective_to",
           "valid_from": "effective_from", "valid_to": "effective_to"}
Status = AreaStatus.Status
STATUS_WORDS = {
    "especially difficult": Status.ESPECIALLY_DIFFICULT, "dac biet kho khan": Status.ESPECIALLY_DIFFICULT,
    "xa dac biet kho khan": Status.ESPECIALLY_DIFFICULT, "vung iii": Status.ESPECIALLY_DIFFICULT,
    "island": Status.ISLAND, "dao": Status.ISLAND, "xa dao": Status.ISLAND,
    "poor commune": Status.POOR_COMMUNE, "xa ngheo": Status.POOR_COMMUNE,
}


def _commune_ids(names: list[str]) -> dict[str, tuple[int | None, str]]:
    """Each distinct name -> (commune id, '') or (None, why not): a handful of look-ups per distinct name."""
    out = {}
    for name in names:
        try:
            unit = area_resolve(name)
        except EverydoorError as exc:
            out[name] = (None, exc.message)
            continue
        if unit.level != AdminUnit.Level.COMMUNE:
            out[name] = (None, f"'{name}' is a {unit.level}, not a commune")
        else:
            out[name] = (unit.id, "")
    return out


def area_statuses_import(*, path: Path | str, actor: str, user=None) -> dict:
    """Read, check every row, then replace each listed (commune, status, start) in one transaction."""
    path = Path(path)
    table = read_table(path, REQUIRED, OPTIONAL, aliases=ALIASES)
    found = _commune_ids(table["commune"].drop_nulls().unique().to_list())
    statuses = {v: STATUS_WORDS.get(words(v)) for v in table["status"].drop_nulls().unique().to_list()}
    table = table.with_columns(
        commune_id=pl.col("commune").replace_strict({k: v[0] for k, v in found.items()}, default=None,
                                                    return_dtype=pl.Int64),
        commune_problem=pl.col("commune").replace_strict({k: v[1] for k, v in found.items()}, default="",
                                                         return_dtype=pl.Utf8),
        status_code=pl.col("status").replace_strict(statuses, default=None, return_dtype=pl.Utf8),
        start=iso_date("effective_from"), end=iso_date("effective_to"),
    )
    duplicated = pl.struct("commune_id", "status_code", "start").is_duplicated() & pl.col("start").is_not_null()
    refuse_problems(path, [
        problem(table, pl.col("commune").is_null(), "commune", "empty"),
        problem(table, pl.col("commune").is_not_null() & pl.col("commune_id").is_null(), "commune",
                pl.col("commune_problem")),
        problem(table, pl.col("status_code").is_null(), "status",
                pl.format("'{}' is not especially_difficult, island or poor_commune", pl.col("status").fill_null(""))),
        problem(table, pl.col("start").is_null(), "effective_from",
                pl.format("'{}' is not a date (YYYY-MM-DD)", pl.col("effective_from").fill_null(""))),
        problem(table, pl.col("effective_to").is_not_null() & pl.col("end").is_null(), "effective_to",
                pl.format("'{}' is not a date (YYYY-MM-DD)", pl.col("effective_to"))),
        problem(table, pl.col("end") < pl.col("start"), "effective_to", "ends before it starts"),
        problem(table, pl.col("source").is_null(), "source", "empty: name the decision (e.g. 861/QĐ-TTg)"),
        problem(table, duplicated, "effective_from", "the same commune, status and start date twice in the file"),
    ])
    rows = list(table.select("commune_id", "status_code", "start", "end", "source").iter_rows())
    with transaction.atomic():
        replaced = 0
        for commune_id, status, start, _end, _source in rows:  # a few hundred rows at most: one per commune
            replaced += AreaStatus.objects.filter(commune_id=commune_id, status=status, effective_from=start).delete()[0]
        AreaStatus.objects.bulk_create(
            AreaStatus(commune_id=c, status=s, effective_from=start, effective_to=end, source=source)
            for c, s, start, end, source in rows)
        summary = {"file": path.name, "rows": len(rows), "new": len(rows) - replaced, "replaced": replaced,
                   "communes": table["commune_id"].n_unique(),
                   "ending": table.filter(pl.col("end").is_not_null()).height}
        audit_record(actor=actor, user=user, action="import", object_type="area_statuses", object_id=path.name,
                     detail=summary)
    return summary
