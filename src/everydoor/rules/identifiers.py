"""Personal ID, social insurance code and card number: pure parsers and validators.

One value at a time; `identifiers_polars` runs the same checks as Polars expressions over
whole columns, drawing on the constants defined here (a property test keeps them equal).

Errors are stable string codes; for structural errors the first code in `errors` is the
one the Polars version reports. Unknown group codes and levels the rules cannot check
are warnings, not errors (DOMAIN.md: warn rather than reject when a rule is uncertain).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from everydoor.rules import law

# Only these are stripped, in both versions: Python's str.strip() and Polars'
# strip_chars() disagree on some control characters.
STRIP_CHARS = " \t\r\n"

PERSONAL_ID = "personal_id"
SI_CODE = "si_code"
CARD_NUMBER = "card_number"
UNKNOWN = "unknown"

# error and warning codes
BAD_LENGTH = "bad_length"
NOT_DIGITS = "not_digits"
UNKNOWN_PROVINCE_CODE = "unknown_province_code"
BAD_CENTURY_DIGIT = "bad_century_digit"
SEX_MISMATCH = "sex_mismatch"
BIRTH_YEAR_MISMATCH = "birth_year_mismatch"
BAD_GROUP_CODE = "bad_group_code"
BAD_BENEFIT_LEVEL = "bad_benefit_level"
BAD_PROVINCE_CODE = "bad_province_code"
BAD_SI_CODE = "bad_si_code"
LEVEL_MISMATCH = "level_mismatch"
UNKNOWN_GROUP = "unknown_group"  # warning
LEVEL_UNKNOWN_ON_DATE = "level_unknown_on_date"  # warning
UNRECOGNISED = "unrecognised_identifier"

PERSONAL_ID_LENGTH = 12
SI_CODE_LENGTH = 10
CARD_NUMBER_LENGTH = 15

# Card number pieces: (slice, regex of the piece, error code), checked in this order.
# Letters are accepted in either case and upper-cased once the shape is right.
CARD_PIECES = (
    ((0, 2), "[A-Za-z]{2}", BAD_GROUP_CODE),
    ((2, 3), "[1-5]", BAD_BENEFIT_LEVEL),
    ((3, 5), "[0-9]{2}", BAD_PROVINCE_CODE),
    ((5, 15), "[0-9]{10}", BAD_SI_CODE),
)
DIGITS_RE = "[0-9]+"


@functools.cache
def province_codes() -> dict[str, str]:
    """The 63 pre-2025 province codes used in personal IDs, with their names."""
    return dict(law.law().personal_id["provinces"])


@functools.cache
def century_sex() -> dict[str, tuple[int, str]]:
    """G digit -> (first year of the century, sex)."""
    return {g: (int(v[0]), v[1]) for g, v in law.law().personal_id["century_sex"].items()}


@dataclass
class IdCheck:
    kind: str
    value: str
    valid: bool = True
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: dict = field(default_factory=dict)

    def fail(self, code: str) -> None:
        self.errors.append(code)
        self.valid = False

    def as_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "valid": self.valid, "errors": self.errors,
                "warnings": self.warnings, "parts": self.parts}


def clean(value: str | None) -> str:
    return (value or "").strip(STRIP_CHARS)


def _is_digits(text: str) -> bool:
    return re.fullmatch(DIGITS_RE, text) is not None


def check_personal_id(value: str | None, *, sex: str | None = None, birth_year: int | None = None) -> IdCheck:
    """A 12-digit personal ID; `sex` ('M'/'F') and `birth_year` are checked against G and YY."""
    text = clean(value)
    result = IdCheck(PERSONAL_ID, text)
    if len(text) != PERSONAL_ID_LENGTH:
        result.fail(BAD_LENGTH)
        return result
    if not _is_digits(text):
        result.fail(NOT_DIGITS)
        return result
    province, g, yy, serial = text[:3], text[3], text[4:6], text[6:]
    if province not in province_codes():
        result.fail(UNKNOWN_PROVINCE_CODE)
    if g not in century_sex():
        result.fail(BAD_CENTURY_DIGIT)
    result.parts = {"province_code": province, "province_name": province_codes().get(province),
                    "century_sex_digit": g, "serial": serial}
    if not result.valid:
        return result
    century, id_sex = century_sex()[g]
    year = century + int(yy)
    result.parts.update({"sex": id_sex, "birth_year": year})
    if sex in ("M", "F") and sex != id_sex:
        result.fail(SEX_MISMATCH)
    if birth_year is not None and birth_year != year:
        result.fail(BIRTH_YEAR_MISMATCH)
    return result


def check_si_code(value: str | None) -> IdCheck:
    text = clean(value)
    result = IdCheck(SI_CODE, text)
    if len(text) != SI_CODE_LENGTH:
        result.fail(BAD_LENGTH)
    elif not _is_digits(text):
        result.fail(NOT_DIGITS)
    else:
        result.parts = {"si_code": text}
    return result


def check_card_number(value: str | None, *, on: dt.date | None = None) -> IdCheck:
    """A 15-character card number; the level must match the group's level on `on` (default today)."""
    text = clean(value)
    result = IdCheck(CARD_NUMBER, text)
    if len(text) != CARD_NUMBER_LENGTH:
        result.fail(BAD_LENGTH)
        return result
    for (start, end), pattern, code in CARD_PIECES:
        if re.fullmatch(pattern, text[start:end]) is None:
            result.fail(code)
    if not result.valid:
        return result
    text = text.upper()  # only ASCII letters can be left here
    result.value = text
    group, level = text[:2], int(text[2])
    result.parts = {"group_code": group, "benefit_level": level, "province_code": text[3:5],
                    "si_code": text[5:]}
    if group not in law.known_group_codes():
        result.warnings.append(UNKNOWN_GROUP)
        return result
    expected = law.group_levels_on(on or dt.date.today()).get(group)
    if expected is None:
        result.warnings.append(LEVEL_UNKNOWN_ON_DATE)
    elif expected != level:
        result.fail(LEVEL_MISMATCH)
        result.parts["expected_benefit_level"] = expected
    return result


def identifier_kind(value: str | None) -> str:
    """Which identifier a value is, by its shape: 12 digits, 10 digits or 15 characters."""
    text = clean(value)
    if len(text) == CARD_NUMBER_LENGTH:
        return CARD_NUMBER
    if len(text) == PERSONAL_ID_LENGTH and _is_digits(text):
        return PERSONAL_ID
    if len(text) == SI_CODE_LENGTH and _is_digits(text):
        return SI_CODE
    return UNKNOWN


def check_identifier(value: str | None, *, sex: str | None = None, birth_year: int | None = None,
                     on: dt.date | None = None) -> IdCheck:
    """Recognise and check any of the three identifiers a clinic or a file may give."""
    kind = identifier_kind(value)
    if kind == PERSONAL_ID:
        return check_personal_id(value, sex=sex, birth_year=birth_year)
    if kind == SI_CODE:
        return check_si_code(value)
    if kind == CARD_NUMBER:
        return check_card_number(value, on=on)
    result = IdCheck(UNKNOWN, clean(value))
    result.fail(UNRECOGNISED)
    return result
