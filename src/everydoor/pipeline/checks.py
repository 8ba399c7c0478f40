"""Row checks as data: a hard error sends the row to quarantine, a flag loads it and marks it."""

from dataclasses import dataclass

import polars as pl

from everydoor.pipeline.readers import ROW
from everydoor.rules import identifiers, identifiers_polars


@dataclass(frozen=True)
class Check:
    """`reason` is an expression giving the reason code for a bad row, null for a good one."""

    field: str
    reason: pl.Expr


@dataclass(frozen=True)
class Flag:
    code: str
    when: pl.Expr


INVALID = "invalid_"  # a field-level defect's flag: INVALID + the field's name


@dataclass(frozen=True)
class FieldDefect:
    """A field that cannot be used, on a row whose identity and place can: the row loads with the
    field empty and the flag `invalid_<field>`, and the value received stays with the record (the
    card's raw record, the resident's `received`) for the data-quality lists.

    `reason` is the defect's code for a bad value, null for a good (or empty) one.
    """

    field: str
    reason: pl.Expr

    @property
    def flag(self) -> Flag:
        return Flag(INVALID + self.field, self.reason.is_not_null())


def flagged_by_field(flags: pl.Series) -> dict[str, int]:
    """Rows per field loaded empty for a defect, from the rows' flags (few rows carry any)."""
    codes = flags.filter(flags.str.contains(INVALID, literal=True)).str.split(",").explode()
    counts = codes.filter(codes.str.starts_with(INVALID)).value_counts()
    return {code[len(INVALID):]: int(n) for code, n in sorted(counts.iter_rows())}


def without_quarantined(frame: pl.DataFrame, quarantine: pl.DataFrame) -> pl.DataFrame:
    """The frame's rows that are not in quarantine. The mask is computed first: filtering the wide frame
    by the is_in predicate itself took the newer card extract of bench/import.py 3.9 s, mask and filter 0.2 s."""
    if quarantine.height == 0:
        return frame
    return frame.filter(frame.select(~pl.col(ROW).is_in(quarantine[ROW].implode())).to_series())


def quarantine_frame(frame: pl.DataFrame, checks: list[Check], file_name: str,
                     raw_columns: list[str]) -> pl.DataFrame:
    """One row per (row, field) that failed a hard check: file, row, field, reason, message, raw JSON."""
    # One pass computes every reason; only the (few) failing rows are then taken apart per check.
    reasons = frame.lazy().select(ROW, *(c.reason.cast(pl.String).alias(f"_reason{i}") for i, c in enumerate(checks))
                                  ).with_columns(pl.any_horizontal(pl.all().exclude(ROW).is_not_null()).alias("_failed")
                                                 ).collect()
    mask = reasons["_failed"]
    failing = reasons.filter(mask).drop("_failed")
    # The (few) failing rows of the columns they need, by the mask: a gather by position costs per chunk of
    # the frame, and a CSV read leaves hundreds (the newer card extract's 1,900 rows: 0.67 s; the mask 0.02 s).
    needed = list(dict.fromkeys([ROW, *(c.field for c in checks), *raw_columns]))
    rows = frame.select(needed).filter(mask)
    parts = []
    for i, check in enumerate(checks):
        bad = failing.join(rows.select(ROW, pl.col(check.field).alias("value")), on=ROW).select(
            ROW, pl.col(f"_reason{i}").alias("reason"), "value").filter(pl.col("reason").is_not_null())
        if bad.height:
            parts.append(bad.with_columns(pl.lit(check.field).alias("field")))
    if not parts:
        return pl.DataFrame(schema={ROW: pl.UInt32, "field": pl.String, "reason": pl.String,
                                    "message": pl.String, "raw": pl.String, "file_name": pl.String})
    bad = pl.concat(parts)
    raw = rows.select(
        ROW, pl.struct(raw_columns).struct.json_encode().alias("raw"))  # only the rejected rows
    bad = bad.join(raw, on=ROW, how="left")
    return bad.select(
        ROW, "field", "reason",
        pl.format("{}, row {}, {}: {} ({})", pl.lit(file_name), pl.col(ROW), pl.col("field"),
                  pl.col("reason").str.replace_all("_", " "),
                  pl.col("value").fill_null("empty")).str.slice(0, 500).alias("message"),
        "raw", pl.lit(file_name).alias("file_name"),
    ).sort(ROW, "field")


def flags_column(flags: list[Flag]) -> pl.Expr:
    """Comma-separated codes of the flags a row carries ('' when none)."""
    if not flags:
        return pl.lit("")
    return pl.concat_str([pl.when(f.when).then(pl.lit(f.code)) for f in flags], separator=",",
                         ignore_nulls=True).fill_null("")


ID_ERROR = "personal_id_error"
ID_CONTRADICTION = "personal_id_contradiction"


def with_personal_id_checks(frame: pl.DataFrame, id_column: str, sex_column: str, year_column: str) -> pl.DataFrame:
    """Adds the ID's structural error and its contradiction with sex/birth year.

    IDs are nearly all distinct, so row by row; lazily, so the shared sub-expressions run once.
    """
    return frame.lazy().with_columns(
        identifiers_polars.personal_id_errors(id_column).alias(ID_ERROR),
        identifiers_polars.personal_id_contradiction(id_column, sex_column, year_column).alias(ID_CONTRADICTION),
    ).collect()


def with_card_number_checks(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Adds <column>_error and the card's group, level and SI code (null unless well formed).

    Most numbers are well formed: one pattern of all the pieces tells them apart cheaply, and
    the piece-by-piece reasons are worked out for the others only.
    """
    pieces = identifiers.CARD_PIECES  # fixed-width pieces, in order: their patterns concatenate
    shape = "^" + "".join(pattern for _, pattern, _ in pieces) + "$"
    text = frame.select(pl.col(column).str.strip_chars(identifiers.STRIP_CHARS)).to_series()  # once, not per piece
    well_formed = text.str.contains(shape).fill_null(False)
    # The reasons for the few others only, put back in place by row position (no join on the text).
    suspect = ~well_formed & frame[column].is_not_null()
    error = pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias(f"{column}_error")
    if suspect.any():
        reasons = frame.filter(suspect).select(identifiers_polars.card_number_error(column)).to_series()
        error.scatter(suspect.arg_true(), reasons)

    def piece(index: int) -> pl.Expr:
        (start, end), _, _ = pieces[index]
        return pl.when(pl.lit(well_formed)).then(pl.lit(text).str.slice(start, end - start).str.to_uppercase())

    return frame.with_columns(
        error, piece(0).alias("card_group"), piece(1).cast(pl.Int16).alias("card_level"), piece(3).alias("card_si"),
    )


def id_contradiction_flags() -> list[Flag]:
    """A well-formed personal ID whose sex or birth-year digits disagree with the record.

    Reads the columns with_personal_id_checks() added.
    """
    found = pl.col(ID_CONTRADICTION)
    return [Flag("id_sex_mismatch", found == identifiers.SEX_MISMATCH),
            Flag("id_birth_year_mismatch", found == identifiers.BIRTH_YEAR_MISMATCH)]


def received_values(frame: pl.DataFrame, defects: list[FieldDefect]) -> pl.Series:
    """Per row, the values received for its defective fields as a JSON object ({"date_of_birth":
    "29/02/1990"}); null for a row without one. Encoded for the (few) defective rows only."""
    received = pl.repeat(None, frame.height, dtype=pl.String, eager=True).alias("received")
    if not defects or frame.height == 0:
        return received
    defective = frame.select(pl.any_horizontal(d.reason.is_not_null() for d in defects)).to_series()
    if not defective.any():
        return received
    members = [pl.when(d.reason.is_not_null()).then(
        pl.struct(pl.col(d.field)).struct.json_encode().str.strip_prefix("{").str.strip_suffix("}"))
        for d in defects]
    objects = frame.filter(defective).select(
        pl.concat_str(pl.lit("{"), pl.concat_str(members, separator=",", ignore_nulls=True), pl.lit("}"))).to_series()
    return received.scatter(defective.arg_true(), objects)
