"""Typed errors: raised by services, turned into a one-line message (CLI) or a 4xx (API)."""

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    INVALID_INPUT = "invalid_input"
    UNREADABLE_FILE = "unreadable_file"
    MISSING_COLUMNS = "missing_columns"
    NOT_IMPORTED = "not_imported"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"  # the same client UUID was already used for other content
    NOT_ASSIGNED = "not_assigned"  # the household is not in the officer's villages on the visit's date
    RESIDENT_DECEASED = "resident_deceased"  # the visit concerns a resident already known to have died


class EverydoorError(Exception):
    """An error the user can fix; the message names what to fix."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field  # the input field at fault, when one is (the API names it)
