"""Comparison features of names and dates of birth: pure, vectorised (Polars), no database.

Every name gets four forms, from strict to loose:
- ``name_lc``: lower case with diacritics, single spaces ("giàng a páo");
- ``name_fold``: without diacritics ("giang a pao");
- ``name_sorted``: folded tokens in alphabetical order ("a giang pao"), for swapped order;
- ``name_phon``: each token reduced to a spelling-variant class, then sorted, so that the
  transcriptions of ethnic-minority names recorded by different clerks meet
  (Giàng/Dàng, Sùng/Xùng, Seo/Sểnh, Chứ/Trứ, Lầu/Nầu...).
The Python functions below are the reference; the Polars expressions do the same over columns.
"""

import re
import unicodedata

import polars as pl

from everydoor.core.text import fold, strip_diacritics

# Whole-token variants seen in registers of the northern uplands (folded forms).
TOKEN_VARIANTS: dict[str, str] = {
    "senh": "seo", "xenh": "seo", "xeo": "seo",
    "pau": "pao",
    "nau": "lau", "no": "lo", "nu": "lu",
    "vu": "vu", "vuu": "vu",
    "thy": "thi",
}

# Then letter rules on every token, in order (regular expressions valid in Python and Rust).
_LETTER_RULES: list[tuple[str, str]] = [
    (r"^ngh", "ng"),
    (r"^gh", "g"),
    (r"^tr", "ch"),
    (r"^x", "s"),
    (r"^gi", "d"),
    (r"^z", "d"),
    (r"^r", "d"),
    (r"^k", "c"),
    (r"^qu", "cu"),
    (r"^ph", "f"),
    (r"y", "i"),
    (r"nh$", "n"),
    (r"ng$", "n"),
    (r"ch$", "t"),
    (r"c$", "t"),
]
_COMPILED_RULES = [(re.compile(p), r) for p, r in _LETTER_RULES]
_SPACES = re.compile(r"\s+")


def token_class(token: str) -> str:
    """The spelling-variant class of one folded token."""
    token = TOKEN_VARIANTS.get(token, token)
    for pattern, replacement in _COMPILED_RULES:
        token = pattern.sub(replacement, token)
    return token


def name_forms(full_name: str | None) -> dict[str, str]:
    """The four comparison forms of a name (see the module docstring)."""
    lc = _SPACES.sub(" ", unicodedata.normalize("NFC", full_name or "").lower()).strip()
    folded = fold(lc)
    tokens = folded.split()
    return {
        "name_lc": lc,
        "name_fold": folded,
        "name_sorted": " ".join(sorted(tokens)),
        "name_phon": " ".join(sorted(token_class(t) for t in tokens)),
    }


def _fold_table() -> dict[str, str]:
    """Every lower-case Latin letter with Vietnamese diacritics -> its base letter."""
    table = {}
    for code in range(0xC0, 0x1F00):
        char = chr(code)
        if not char.isalpha() or char.lower() != char:
            continue
        base = strip_diacritics(char)
        if base != char and len(base) == 1 and base.isascii():
            table[char] = base
    table["đ"] = "d"
    return table


FOLD_TABLE = _fold_table()


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """fold() over a column: lower case, no diacritics, single spaces."""
    lowered = expr.str.normalize("NFC").str.to_lowercase()
    stripped = lowered.str.replace_many(list(FOLD_TABLE), list(FOLD_TABLE.values()))
    return stripped.str.replace_all(r"\s+", " ").str.strip_chars()


def _token_class_expr(token: pl.Expr) -> pl.Expr:
    token = token.replace(TOKEN_VARIANTS)
    for pattern, replacement in _LETTER_RULES:
        token = token.str.replace(pattern, replacement)
    return token


def name_columns(frame: pl.DataFrame, source: str = "full_name") -> pl.DataFrame:
    """Add name_lc, name_fold, name_sorted and name_phon computed from ``source``."""
    lc = pl.col(source).fill_null("").str.normalize("NFC").str.to_lowercase()
    lc = lc.str.replace_all(r"\s+", " ").str.strip_chars()
    frame = frame.with_columns(name_lc=lc).with_columns(name_fold=fold_expr(pl.col("name_lc")))
    tokens = pl.col("name_fold").str.split(" ")
    return frame.with_columns(
        name_sorted=tokens.list.sort().list.join(" "),
        name_phon=tokens.list.eval(_token_class_expr(pl.element())).list.sort().list.join(" "),
    )


# --- personal ID (12 digits PPP G YY RRRRRR): does it agree with sex and birth year? -----------

_ID_RE = re.compile(r"^\d{12}$")


def id_is_valid(personal_id: str | None) -> bool:
    return bool(personal_id) and bool(_ID_RE.match(personal_id))


def id_sex_year(personal_id: str) -> tuple[str, int]:
    """('M' or 'F', birth year) encoded in a 12-digit personal ID."""
    gender_digit = int(personal_id[3])
    century = 1900 + 100 * (gender_digit // 2)
    return ("M" if gender_digit % 2 == 0 else "F"), century + int(personal_id[4:6])


def id_contradictions(personal_id: str | None, sex: str | None, dob_year: int | None) -> list[str]:
    """Flag codes where a valid ID disagrees with the record's sex or birth year."""
    if not id_is_valid(personal_id):
        return []
    id_sex, id_year = id_sex_year(personal_id)
    flags = []
    if sex in ("M", "F") and sex != id_sex:
        flags.append("id_sex_mismatch")
    if dob_year is not None and dob_year != id_year:
        flags.append("id_birth_year_mismatch")
    return flags


# The same checks as SQL (DuckDB and Spark SQL), for set-based use. {p} is the column prefix.
ID_VALID_SQL = "regexp_matches(coalesce({p}personal_id, ''), '^[0-9]{{12}}$')"
ID_SEX_SQL = "CASE WHEN CAST(substr({p}personal_id, 4, 1) AS INTEGER) % 2 = 0 THEN 'M' ELSE 'F' END"
ID_YEAR_SQL = ("(1900 + 100 * (CAST(substr({p}personal_id, 4, 1) AS INTEGER) // 2) "
               "+ CAST(substr({p}personal_id, 5, 2) AS INTEGER))")


def id_agrees_sql(prefix: str = "") -> str:
    """SQL: the row's personal ID is valid and agrees with its sex and birth year (unknowns pass)."""
    p = prefix
    return (
        f"({ID_VALID_SQL.format(p=p)} "
        f"AND ({p}sex IS NULL OR {p}sex NOT IN ('M', 'F') OR {p}sex = {ID_SEX_SQL.format(p=p)}) "
        f"AND ({p}dob_year IS NULL OR {p}dob_year = {ID_YEAR_SQL.format(p=p)}))"
    )
