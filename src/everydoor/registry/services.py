"""Imports of the population and participant registers: read, validate, stage, merge — one transaction."""

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from everydoor.accounts.services import audit_record
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.text import unit_key
from everydoor.geo.address import CommuneResolver
from everydoor.geo.models import AdminUnit
from everydoor.geo.selectors import area_resolve, commune_places, communes_in
from everydoor.geo.services import village_get_or_create_bulk
from everydoor.pipeline import loaders
from everydoor.pipeline.cards import validate_cards
from everydoor.pipeline.checks import flagged_by_field
from everydoor.pipeline.columns import (
    CARD_COLUMNS,
    CARD_ONE_OF,
    CARD_REQUIRED,
    POPULATION_COLUMNS,
    POPULATION_REQUIRED,
)
from everydoor.pipeline.population import validate_population
from everydoor.pipeline.readers import ROW, file_sha256, read_register
from everydoor.registry import merge
from everydoor.registry.models import ImportBatch, QuarantineRow

Progress = Callable[[str, float], None]  # (step, fraction done)


def _noop(step: str, done: float) -> None:
    pass


def _repeated_keys(keys: pl.Series) -> pl.DataFrame:
    """Per row: `first` (first row of its key) and `shared` (another row has the key).

    Hashing millions of long keys into a table (twice) is slow; sorting their 64-bit hashes
    is not. Rows whose hash is unique have a unique key; only the few rows whose hash repeats
    are compared exactly, so a hash collision never changes the answer.
    """
    hashes = keys.hash()
    ordered = hashes.sort()
    repeated_hashes = ordered.filter(ordered == ordered.shift(1)).unique()
    candidates = hashes.is_in(repeated_hashes.implode())
    exact = keys.filter(candidates).to_frame().select(pl.col(keys.name).is_first_distinct().alias("first"),
                                                      pl.col(keys.name).is_duplicated().alias("shared"))
    first = pl.repeat(True, len(keys), eager=True)
    shared = pl.repeat(False, len(keys), eager=True)
    if exact.height:
        rows = candidates.arg_true()
        first.scatter(rows, exact["first"])
        shared.scatter(rows, exact["shared"])
    return pl.DataFrame({"first": first, "shared": shared})


def _split_duplicates(good: pl.DataFrame, columns: list[str]) -> tuple[pl.Series | None, pl.DataFrame, int]:
    """Keep the first row of each record_key. Exact repeats are counted; conflicting ones quarantined.

    Returns (mask of the rows kept, or None for all; the conflicting rows; the exact repeats).
    """
    repeated = _repeated_keys(good["record_key"])
    if not repeated["shared"].any():
        return None, good.select(ROW).clear(), 0
    # Only the rows whose key is shared are compared (selected before filtering: the frame is wide).
    rest = good.select(ROW, "record_key", *columns).filter(~repeated["first"])
    firsts = good.select("record_key", *columns).filter(repeated["first"] & repeated["shared"])
    compared = rest.join(firsts, on="record_key", suffix="__first")
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}__first")) for c in columns)
    conflicting = compared.filter(~same)
    return repeated["first"], conflicting, compared.height - conflicting.height


def _conflicts_to_quarantine(conflicting: pl.DataFrame, good: pl.DataFrame, file_name: str,
                             key_field: str, raw_columns: list[str]) -> pl.DataFrame:
    rows = good.join(conflicting.select(ROW), on=ROW, how="semi")
    return rows.select(
        ROW, pl.lit(key_field).alias("field"), pl.lit("duplicate_record").alias("reason"),
        pl.format("{}, row {}, {}: another row has the same record with different values ({})",
                  pl.lit(file_name), pl.col(ROW), pl.lit(key_field), pl.col("record_key")).alias("message"),
        pl.struct(raw_columns).struct.json_encode().alias("raw"), pl.lit(file_name).alias("file_name"),
    )


def _resolver() -> CommuneResolver:
    if not AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE).exists():
        raise EverydoorError(ErrorCode.NOT_IMPORTED,
                             "no administrative units yet: run `everydoor import units` first")
    return CommuneResolver.from_db()


def _scope_ids(scope: str | None, loaded_communes: pl.Series) -> list[int]:
    if scope:
        return list(communes_in(area_resolve(scope)).values_list("id", flat=True))
    return sorted(int(i) for i in loaded_communes.drop_nulls().unique().to_list())


def _guard_order(kind: str, as_of: dt.date, scope_ids: list[int]) -> None:
    """A newer extract supersedes an older one, never the reverse."""
    newer = ImportBatch.objects.filter(kind=kind, status=ImportBatch.Status.DONE, as_of__gt=as_of)
    for batch in newer.only("id", "as_of", "scope", "file_name"):
        if set(batch.scope) & set(scope_ids):
            raise EverydoorError(
                ErrorCode.INVALID_INPUT,
                f"batch {batch.id} ({batch.file_name}) already holds a newer {kind} extract as of {batch.as_of} "
                f"for the same communes; an older extract (as of {as_of}) cannot supersede it",
            )


def _save_quarantine(batch: ImportBatch, quarantine: pl.DataFrame) -> None:
    rows = [QuarantineRow(batch=batch, file_name=r["file_name"], row_number=r[ROW], field=r["field"],
                          reason=r["reason"], message=r["message"], raw=r["raw"])
            for r in quarantine.iter_rows(named=True)]  # the rejected rows only: few
    QuarantineRow.objects.bulk_create(rows, batch_size=2000)


# The file's digest, which tells a repeated extract, is computed while the file is read: hashlib and
# Polars' reader both release the GIL (the full card register's digest and read: 1.95 s one after the
# other, 1.65 s side by side).
_digests = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-digest")


def _run_import(kind: str, path: Path, as_of: dt.date, scope: str | None, user, actor: str,
                progress: Progress, register: "_Register", load) -> ImportBatch:
    started = time.perf_counter()
    progress("reading", 0.0)
    if not path.is_file():
        raise EverydoorError(ErrorCode.UNREADABLE_FILE, f"{path}: no such file")
    digest = _digests.submit(file_sha256, path)
    frame, _ = read_register(path, register.columns, register.required, one_of=register.one_of)
    sha = digest.result()
    previous = ImportBatch.objects.filter(kind=kind, file_sha256=sha, as_of=as_of,
                                          status=ImportBatch.Status.DONE).order_by("-id").first()
    if previous:
        # The same extract again: nothing to change; record the attempt.
        batch = ImportBatch.objects.create(
            kind=kind, file_name=path.name, file_sha256=sha, as_of=as_of, scope=previous.scope,
            status=ImportBatch.Status.UNCHANGED, rows_read=previous.rows_read, user=user,
            error=f"same file as batch {previous.id}: nothing changed", finished_at=timezone.now(),
            duration_s=time.perf_counter() - started,
        )
        return batch
    good, quarantine = _validate(register, frame, path, as_of, progress)
    rows_read = frame.height
    del frame  # the file's frame is the largest object: free it before the next steps
    good, quarantine, duplicates = _deduplicated(register, good, quarantine, path)
    scope_ids = _scope_ids(scope, good["commune_id"])
    _guard_order(kind, as_of, scope_ids)
    progress("loading", 0.5)
    try:
        with loaders.bulk_writes(), transaction.atomic():
            batch = ImportBatch.objects.create(kind=kind, file_name=path.name, file_sha256=sha, as_of=as_of,
                                               scope=scope_ids, user=user)
            with connection.cursor() as cursor:
                loaders.join_memory(cursor)
                counts = load(cursor, good, batch, scope_ids, progress)
            _save_quarantine(batch, quarantine)
            batch.status = ImportBatch.Status.DONE
            batch.rows_read = rows_read
            batch.rows_quarantined = quarantine[ROW].n_unique() if quarantine.height else 0
            batch.rows_loaded = good.height
            batch.rows_flagged = int((good["flags"] != "").sum())
            batch.flagged_fields = flagged_by_field(good["flags"])
            batch.rows_inserted, batch.rows_updated = counts["inserted"], counts["updated"]
            batch.rows_absent = counts["absent"]
            batch.error = f"{duplicates} exact duplicate rows counted once" if duplicates else ""
            batch.finished_at = timezone.now()
            batch.duration_s = time.perf_counter() - started
            batch.save()
            audit_record(actor=actor, user=user, action=f"import_{kind}", object_type="ImportBatch",
                         object_id=batch.id, detail={"file": path.name, "as_of": as_of.isoformat(),
                                                     "rows_loaded": batch.rows_loaded})
    except Exception as exc:
        # Nothing was loaded (the transaction rolled back); keep a record of the failure, then re-raise.
        ImportBatch.objects.create(kind=kind, file_name=path.name, file_sha256=sha, as_of=as_of, scope=scope_ids,
                                   status=ImportBatch.Status.FAILED, rows_read=rows_read, user=user,
                                   error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now())
        raise
    progress("done", 1.0)
    return batch


# --- population -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Register:
    """What differs between the two registers' imports; the steps are the same."""

    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    one_of: tuple[str, ...]
    validate: Callable  # (frame, as_of, file_name, commune_ids) -> (good, quarantine)
    key_field: str  # named in the quarantine when two rows claim one record
    compared: tuple[str, ...]  # columns that must agree for two rows to be the same record
    loaded: Callable[[], list]  # the good rows' columns under the register's names, as the load takes them


def _validate(register: _Register, frame: pl.DataFrame, path: Path, as_of: dt.date,
              progress: Progress) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The file's rows checked: (good rows with validation's working columns, quarantine)."""
    progress("resolving communes", 0.15)
    commune_ids = _resolver().resolve_frame(frame, commune="commune", province="province", address="address")
    progress("validating", 0.3)
    return register.validate(frame, as_of, path.name, commune_ids)


def _deduplicated(register: _Register, good: pl.DataFrame, quarantine: pl.DataFrame, path: Path):
    """(the rows the load writes, the quarantine with conflicting repeats added, exact repeats counted)."""
    kept, conflicting, duplicates = _split_duplicates(good, list(register.compared))
    if conflicting.height:
        quarantine = pl.concat([quarantine, _conflicts_to_quarantine(
            conflicting, good, path.name, register.key_field, list(register.columns))])
    # Only what the load writes goes on (selected before the rows are filtered, so the wide
    # frame of validation's working columns is never copied).
    rows = good.lazy() if kept is None else good.lazy().filter(kept)
    return rows.select(register.loaded()).collect(), quarantine, duplicates


POPULATION = _Register(
    POPULATION_COLUMNS, POPULATION_REQUIRED, ("commune", "address"),
    lambda frame, as_of, name, ids: validate_population(frame, as_of=as_of, file_name=name, commune_ids=ids),
    "personal_id", tuple(c for c in POPULATION_COLUMNS if c != "personal_id"),
    lambda: ["record_key", "personal_id", pl.col("full_name").fill_null(""), pl.col("name_key").fill_null(""),
             pl.col("date_of_birth_date").alias("dob"), pl.col("date_of_birth_y").alias("dob_year"),
             pl.col("date_of_birth_m").alias("dob_month"), pl.col("date_of_birth_d").alias("dob_day"),
             pl.col("sex_code").fill_null("").alias("sex"), pl.col("ethnicity").fill_null(""),
             "household_id", pl.col("relation_to_head").fill_null(""), "commune_id", "village",
             pl.col("address").fill_null(""), pl.col("status_code").alias("status"),
             pl.col("status_date_date").alias("status_date"), "flags", "received",
             pl.col("phone_value").alias("phone")],
)
CARDS = _Register(
    CARD_COLUMNS, CARD_REQUIRED, CARD_ONE_OF,
    lambda frame, as_of, name, ids: validate_cards(frame, file_name=name, commune_ids=ids, places=commune_places()),
    "card_number", tuple(CARD_COLUMNS),
    lambda: ["record_key", pl.col("card_number_value").fill_null("").alias("card_number"),
             pl.col("si").fill_null("").alias("si_code"), pl.col("personal_id_value").fill_null("").alias("personal_id"),
             pl.col("full_name").fill_null(""), pl.col("name_key").fill_null(""),
             pl.col("date_of_birth_date").alias("dob"), pl.col("date_of_birth_y").alias("dob_year"),
             pl.col("date_of_birth_m").alias("dob_month"), pl.col("date_of_birth_d").alias("dob_day"),
             pl.col("sex_code").fill_null("").alias("sex"), pl.col("group").fill_null("").alias("group_code"),
             "payer_group", pl.col("level").alias("benefit_level"),
             pl.col("valid_from_date").alias("valid_from"), pl.col("valid_to_date").alias("valid_to"),
             "commune_id", pl.col("address").fill_null(""), pl.col("clinic_code").fill_null(""), "flags", "raw"],
)


def _village_ids(good: pl.DataFrame) -> pl.Series:
    pairs = good.select("commune_id", "village").drop_nulls().unique()
    mapping = village_get_or_create_bulk([(int(c), v) for c, v in pairs.iter_rows()])  # distinct villages only
    lookup = pl.DataFrame(
        [(c, key, vid) for (c, key), vid in mapping.items()],
        schema={"commune_id": pl.Int64, "village_key": pl.String, "village_id": pl.Int64}, orient="row")
    keys = pairs.with_columns(pl.col("village").map_elements(unit_key, return_dtype=pl.String).alias("village_key"))
    joined = good.select("commune_id", "village").join(
        keys.join(lookup, on=["commune_id", "village_key"], how="left"), on=["commune_id", "village"], how="left",
        maintain_order="left")
    return joined["village_id"]


def _load_population(cursor, good: pl.DataFrame, batch: ImportBatch, scope_ids: list[int],
                     progress: Progress) -> dict:
    good = good.with_columns(_village_ids(good).alias("village_id"))
    progress("households", 0.6)
    households = (good.filter(pl.col("household_id").is_not_null())
                  .group_by("household_id", maintain_order=True)
                  .agg(pl.col("commune_id").first(), pl.col("village_id").first(),
                       pl.col("phone").drop_nulls().first())
                  .rename({"household_id": "code"}))
    household_ids = merge.households_merge(cursor, households)
    progress("residents", 0.7)
    persons = good.join(household_ids, left_on="household_id", right_on="code", how="left",
                        maintain_order="left", suffix="_db").select(
        "record_key", *merge.PERSON_FIELDS[:9], pl.col("household_id_db").alias("household_id"),
        *merge.PERSON_FIELDS[10:])
    return merge.persons_merge(cursor, persons, batch_id=batch.id, as_of=batch.as_of.isoformat(),
                               scope_ids=scope_ids)


def population_import(*, path: Path | str, as_of: dt.date, scope: str | None = None, user=None,
                      actor: str = "system", progress: Progress = _noop) -> ImportBatch:
    """Import a population-register extract as of a date; see docs/formats.md for the columns."""
    return _run_import(ImportBatch.Kind.POPULATION, Path(path), as_of, scope, user, actor, progress,
                       POPULATION, _load_population)


# --- cards ----------------------------------------------------------------------------------------

def _load_cards(cursor, good: pl.DataFrame, batch: ImportBatch, scope_ids: list[int], progress: Progress) -> dict:
    progress("cards", 0.7)
    return merge.cards_merge(cursor, good, batch_id=batch.id, as_of=batch.as_of.isoformat(), scope_ids=scope_ids)


def cards_import(*, path: Path | str, as_of: dt.date, scope: str | None = None, user=None,
                 actor: str = "system", progress: Progress = _noop) -> ImportBatch:
    """Import a participant-register extract (one row per card period) as of a date."""
    return _run_import(ImportBatch.Kind.CARDS, Path(path), as_of, scope, user, actor, progress,
                       CARDS, _load_cards)


def import_summary(batch: ImportBatch) -> dict:
    return {"rows_read": batch.rows_read, "rows_loaded": batch.rows_loaded,
            "rows_quarantined": batch.rows_quarantined, "batch_id": batch.id, "status": batch.status,
            "rows_flagged": batch.rows_flagged, "rows_flagged_by_field": batch.flagged_fields,
            "rows_inserted": batch.rows_inserted,
            "rows_updated": batch.rows_updated, "rows_absent": batch.rows_absent,
            "duration_s": round(batch.duration_s or 0, 3), "note": batch.error}
