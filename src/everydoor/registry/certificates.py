"""`import certificates`: households' poor, near-poor and average-living-standard certificates (docs/formats.md).

All rows or none: a row naming an unknown household, kind or date refuses the file with its row and
field. A certificate is keyed by household, kind and start date: importing the same file again changes
nothing, and a later file with a new end date (a certificate renewed or withdrawn) replaces it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from django.db import connection, transaction

from everydoor.accounts.services import audit_record
from everydoor.core.tables import iso_date, problem, read_table, refuse_problems, words
from everydoor.pipeline import loaders
from everydoor.registry.models import Household, HouseholdCertificate

REQUIRED = ("household_code", "kind", "valid_from")
OPTIONAL = ("valid_to", "number")
ALIASES = {"household_id": "household_code"}  # the population register's name for it
Kind = HouseholdCertificate.Kind
# As written on the certificates (folded: no case, no diacritics) and as the rules name them.
KIND_WORDS = {
    "poor": Kind.POOR, "ho ngheo": Kind.POOR, "ngheo": Kind.POOR,
    "near poor": Kind.NEAR_POOR, "ho can ngheo": Kind.NEAR_POOR, "can ngheo": Kind.NEAR_POOR,
    "average living standard": Kind.AVERAGE_LIVING_STANDARD, "ho muc song trung binh": Kind.AVERAGE_LIVING_STANDARD,
    "muc song trung binh": Kind.AVERAGE_LIVING_STANDARD,
}
CHUNK = 5000  # codes per IN (...) look-up


def household_ids(codes: list[str]) -> pl.DataFrame:
    """household_code -> household_id for the codes that exist (chunked IN look-ups)."""
    rows = []
    for start in range(0, len(codes), CHUNK):
        rows += Household.objects.filter(code__in=codes[start:start + CHUNK]).values_list("code", "id")
    return pl.DataFrame(rows, schema={"household_code": pl.Utf8, "household_id": pl.Int64}, orient="row")


def certificates_import(*, path: Path | str, actor: str, user=None) -> dict:
    """Read, check every row, then replace each listed certificate (household, kind, start) in one transaction."""
    path = Path(path)
    table = read_table(path, REQUIRED, OPTIONAL, aliases=ALIASES)
    kinds = {v: KIND_WORDS.get(words(v)) for v in table["kind"].drop_nulls().unique().to_list()}
    table = table.with_columns(
        kind_code=pl.col("kind").replace_strict(kinds, default=None, return_dtype=pl.Utf8),
        start=iso_date("valid_from"), end=iso_date("valid_to"),
    ).join(household_ids(table["household_code"].drop_nulls().unique().to_list()), on="household_code", how="left")
    duplicated = pl.struct("household_code", "kind_code", "start").is_duplicated() & pl.col("start").is_not_null()
    refuse_problems(path, [
        problem(table, pl.col("household_code").is_null(), "household_code", "empty"),
        problem(table, pl.col("household_code").is_not_null() & pl.col("household_id").is_null(), "household_code",
                pl.format("no household {} in the population register", pl.col("household_code"))),
        problem(table, pl.col("kind_code").is_null(), "kind",
                pl.format("'{}' is not poor, near_poor or average_living_standard", pl.col("kind").fill_null(""))),
        problem(table, pl.col("start").is_null(), "valid_from",
                pl.format("'{}' is not a date (YYYY-MM-DD)", pl.col("valid_from").fill_null(""))),
        problem(table, pl.col("valid_to").is_not_null() & pl.col("end").is_null(), "valid_to",
                pl.format("'{}' is not a date (YYYY-MM-DD)", pl.col("valid_to"))),
        problem(table, pl.col("end") < pl.col("start"), "valid_to", "ends before it starts"),
        problem(table, duplicated, "valid_from", "the same household, kind and start date twice in the file"),
    ])
    with transaction.atomic():
        existing = _existing(table["household_id"].unique().to_list())
        replaced = table.join(existing, left_on=["household_id", "kind_code", "start"],
                              right_on=["household_id", "kind", "valid_from"], how="inner")["certificate_id"].to_list()
        for start in range(0, len(replaced), CHUNK):
            HouseholdCertificate.objects.filter(id__in=replaced[start:start + CHUNK]).delete()
        rows = table.select("household_id", kind="kind_code", valid_from="start", valid_to="end",
                            number=pl.col("number").fill_null(""))
        with connection.cursor() as cursor:
            loaders.insert_rows(cursor, rows, HouseholdCertificate._meta.db_table)
        summary = {"file": path.name, "rows": table.height, "new": table.height - len(replaced),
                   "replaced": len(replaced), "households": table["household_id"].n_unique(),
                   "by_kind": dict(table.group_by("kind_code").len().sort("kind_code").iter_rows())}
        audit_record(actor=actor, user=user, action="import", object_type="certificates", object_id=path.name,
                     detail=summary)
    return summary


def _existing(household_id_list: list[int]) -> pl.DataFrame:
    rows = []
    for start in range(0, len(household_id_list), CHUNK):
        rows += HouseholdCertificate.objects.filter(household_id__in=household_id_list[start:start + CHUNK]).values_list(
            "id", "household_id", "kind", "valid_from")
    return pl.DataFrame(rows, schema={"certificate_id": pl.Int64, "household_id": pl.Int64, "kind": pl.Utf8,
                                      "valid_from": pl.Date}, orient="row")
