"""Paper work lists coming back: visits from CSV/XLSX, all rows or none, through campaign.visits.

Columns: household (code), officer (username), visited_at (YYYY-MM-DD or YYYY-MM-DD HH:MM), outcome,
reason, members (personal IDs or names of residents of the household, separated by ';'), card_number,
note, follow_up, phone. Each row gets a UUID derived from its content: importing the same file again
(or a longer one holding the same rows) creates nothing twice. Errors name the file, row and field.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from everydoor.accounts.services import audit_record
from everydoor.campaign.visits import VisitInput, visit_record
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.text import fold
from everydoor.pipeline.readers import ROW, read_register
from everydoor.registry.models import Person

COLUMNS = {
    "household": ("household", "household_code", "ma_ho", "mã hộ", "ho"),
    "officer": ("officer", "username", "can_bo", "cán bộ"),
    "visited_at": ("visited_at", "time", "date", "ngay", "ngày"),
    "outcome": ("outcome", "ket_qua", "kết quả"),
    "reason": ("reason", "ly_do", "lý do"),
    "members": ("members", "thanh_vien", "thành viên"),
    "card_number": ("card_number", "so_the", "số thẻ"),
    "note": ("note", "ghi_chu", "ghi chú"),
    "follow_up": ("follow_up", "hen_lai", "hẹn lại"),
    "phone": ("phone", "dien_thoai", "điện thoại"),
}
REQUIRED = ("household", "officer", "visited_at", "outcome")
NAMESPACE = uuid.UUID("5b0f3c4e-8f52-4a8e-9d3e-1f6f0a7d2c11")  # row UUIDs of imported visits


def row_uuid(row: dict) -> uuid.UUID:
    """Stable for the same row content, whatever file or position it comes in."""
    text = "\x1f".join(f"{k}={row.get(k) or ''}" for k in COLUMNS)
    return uuid.uuid5(NAMESPACE, text)


def _members(text: str | None, household_code: str) -> list[int]:
    """Personal IDs or names, each matching exactly one resident of the household."""
    wanted = [part.strip() for part in (text or "").split(";") if part.strip()]
    if not wanted:
        return []
    people = list(Person.objects.filter(household__code=household_code).values("id", "personal_id", "name_key"))
    found = []
    for item in wanted:
        matches = [p["id"] for p in people if p["personal_id"] == item] or \
                  [p["id"] for p in people if p["name_key"] == fold(item)]
        if len(matches) != 1:
            what = "no resident" if not matches else f"{len(matches)} residents"
            raise EverydoorError(ErrorCode.INVALID_INPUT, f"{what} of household {household_code} match {item!r}",
                                 field="members")
        found.append(matches[0])
    return found


def _moment(text: str) -> str:
    """A date alone means the morning of that day (paper lists rarely note the hour)."""
    text = (text or "").strip()
    return f"{text}T09:00:00" if len(text) == 10 else text.replace(" ", "T", 1)


def visits_import(path: Path, *, actor: str, user=None) -> dict:
    """Every row recorded, or none: errors are collected for all rows, then the whole import rolls back."""
    path = Path(path)
    frame, _ = read_register(path, COLUMNS, REQUIRED)
    officers = {u.username: u for u in get_user_model().objects.filter(
        username__in=frame["officer"].drop_nulls().unique().to_list())}
    problems, created, retried = [], 0, 0
    with transaction.atomic():
        for row in frame.iter_rows(named=True):
            number = row[ROW]
            try:
                officer = officers.get(row["officer"] or "")
                if officer is None:
                    raise EverydoorError(ErrorCode.INVALID_INPUT, f"no user is named {row['officer']!r}",
                                         field="officer")
                data = VisitInput(
                    uuid=str(row_uuid(row)), household=row["household"] or "", visited_at=_moment(row["visited_at"]),
                    outcome=(row["outcome"] or "").strip().lower(), reason=(row["reason"] or "").strip().lower(),
                    members=_members(row["members"], row["household"] or ""),
                    card_number=row["card_number"] or "", note=row["note"] or "", phone=row["phone"] or "",
                    follow_up=row["follow_up"])
                _, new = visit_record(data=data, officer=officer, source="import")
                created, retried = created + new, retried + (not new)
            except EverydoorError as exc:  # visit_record wrote nothing for this row (its own savepoint)
                field = exc.field or "row"
                message = exc.message if exc.message.startswith(f"{field}:") else f"{field}: {exc.message}"
                problems.append({"row": number, "field": field, "code": exc.code, "message": message})
        if problems:
            transaction.set_rollback(True)
        else:
            audit_record(actor=actor, user=user, action="import", object_type="visits", object_id=path.name,
                         detail={"rows": frame.height, "created": created, "already_recorded": retried})
    if problems:
        shown = "; ".join(f"row {p['row']} {p['message']}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        error = EverydoorError(ErrorCode.INVALID_INPUT, f"{path.name}: nothing imported: {shown}{more}")
        error.problems = problems
        raise error
    return {"file": path.name, "rows": frame.height, "created": created, "already_recorded": retried,
            "imported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
