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


class EverydoorError(Exception):
    """An error the user can fix; the message names what to fix."""

    def __init__(self, code: ErrorCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
