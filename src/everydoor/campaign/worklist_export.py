"""Work lists out of the system: a printable checklist per village (PDF) and one sheet per village (XLSX).

For villages without a signal the officer takes the paper list; what comes back is entered through
`everydoor visits import`. Every export of the list (personal data) is audited by the caller's service.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.template.loader import render_to_string

from everydoor.accounts.services import audit_record
from everydoor.campaign.worklist import Scope, worklist
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.coverage import formatting

FORMATS = ("json", "xlsx", "pdf")
LABELS = {
    "vi": {"title": "Danh sách hộ cần vận động", "as_of": "Ngày", "households": "Số hộ", "uninsured": "Chưa có thẻ",
           "officer": "Cán bộ", "member": "Thành viên", "dob": "Ngày sinh", "reason": "Lý do",
           "entitlement": "Đối tượng / giấy tờ", "outcome": "Kết quả", "notes": "Ghi chú", "household": "Hộ",
           "follow_up": "Hẹn lại", "premium": "Số tiền hộ đóng", "months": "tháng", "state_paid": "NSNN đóng",
           "enrolled": "Đã tham gia", "promised": "Hứa tham gia", "refused": "Từ chối", "phone": "Điện thoại",
           "personal_id": "Số định danh", "standing": "Tình trạng"},
    "en": {"title": "Households to visit", "as_of": "As of", "households": "Households", "uninsured": "Uninsured",
           "officer": "Officer", "member": "Member", "dob": "Born", "reason": "Reason",
           "entitlement": "Entitlement / paperwork", "outcome": "Outcome", "notes": "Notes", "household": "Household",
           "follow_up": "Follow-up", "premium": "Household pays", "months": "months", "state_paid": "state-paid",
           "enrolled": "Enrolled", "promised": "Promised", "refused": "Refused", "phone": "Phone",
           "personal_id": "Personal ID", "standing": "Standing"},
}


def worklist_export(*, scope: Scope, as_of: dt.date, fmt: str = "json", out: Path | None = None, lang: str = "vi",
                    actor: str, user=None) -> dict:
    """The work list, written to `out` as XLSX or PDF when asked; the read or export is audited."""
    if fmt not in FORMATS:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if lang not in LABELS:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--lang must be vi or en, got {lang!r}")
    if fmt != "json" and out is None:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"name the {fmt.upper()} file with --out")
    result = worklist(scope=scope, as_of=as_of, lang=lang)
    if fmt == "xlsx":
        write_xlsx(result, out)
    elif fmt == "pdf":
        result["pages"] = write_pdf(result, out)
    audit_record(actor=actor, user=user, action="export" if fmt != "json" or out else "lookup",
                 object_type="worklist", object_id=scope.label, area_code=scope.area_code,
                 detail={"format": fmt, "as_of": as_of.isoformat(), "villages": [v.code for v in scope.villages],
                         "households": result["households"], "file": str(out) if out else ""})
    return result


STANDINGS = {"uninsured": ("Chưa có thẻ", "Uninsured"), "expiring": ("Thẻ sắp hết hạn", "Card expiring"),
             "insured": ("Có thẻ", "Insured"), "settled": ("Đã gặp", "Visited")}


def _shown(result: dict) -> dict:
    """The list as its reader reads it: dates, amounts and standings in the list's language (31/12/2024 and
    227.448 in Vietnamese), beside the values the JSON keeps."""
    lang = result["lang"]

    def day(value) -> str:
        return formatting.date_text(value, lang)

    villages = [{**village, "households": [
        {**h, "follow_up_text": day(h["follow_up"]),
         "premium_text": formatting.number(h["premium"]["total_net"], lang) if h["premium"] else "",
         "members": [{**m, "born": day(m["dob"]), "standing_text": STANDINGS[m["standing"]][lang == "en"]}
                     for m in h["members"]]}
        for h in village["households"]]} for village in result["villages"]]
    return {**result, "villages": villages, "as_of_text": day(result["as_of"]), "labels": LABELS[lang]}


def write_pdf(result: dict, out: Path) -> int:
    """A4 landscape checklist, one village per page run; returns the number of pages."""
    from weasyprint import HTML

    html = render_to_string("campaign/worklist.html", _shown(result))
    document = HTML(string=html).render()
    document.write_pdf(out)
    return len(document.pages)


def _sheet_name(name: str, code: str, used: set[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ ; names must differ."""
    base = re.sub(r"[\[\]:*?/\\]", " ", name)[:31 - len(code) - 1].strip() or code
    candidate = f"{base} {code.rsplit('-', 1)[-1]}"[:31]
    while candidate in used:
        candidate = candidate[:28] + f"~{len(used)}"
    used.add(candidate)
    return candidate


def write_xlsx(result: dict, out: Path) -> None:
    import xlsxwriter

    result = _shown(result)
    labels = result["labels"]
    columns = ["household", "phone", "follow_up", "member", "personal_id", "dob", "standing", "reason",
               "entitlement", "premium", "outcome", "notes"]
    with xlsxwriter.Workbook(str(out)) as book:
        head = book.add_format({"bold": True, "bg_color": "#e4e9f0", "border": 1, "text_wrap": True})
        cell = book.add_format({"border": 1, "valign": "top", "text_wrap": True})
        money = book.add_format({"border": 1, "num_format": "#,##0"})
        used: set[str] = set()
        for village in result["villages"]:
            sheet = book.add_worksheet(_sheet_name(village["name"], village["code"], used))
            sheet.write(0, 0, f"{labels['title']}: {village['name']} ({village['code']}), {labels['as_of']} "
                              f"{result['as_of_text']}")
            sheet.write_row(2, 0, [labels[c] for c in columns], head)
            row = 3
            for h in village["households"]:
                premium = h["premium"]["total_net"] if h["premium"] else None
                for i, m in enumerate(h["members"]):
                    ent = m["entitlement"]
                    values = [h["code"], h["phone"] or "", h["follow_up_text"], m["name"], m["personal_id"] or "",
                              m["born"], m["standing_text"], m["reason_text"] or "",
                              f"{ent['group']}: {ent['paperwork']}" if ent else "", premium if i == 0 else None, "", ""]
                    for j, value in enumerate(values):
                        if value is None:
                            sheet.write_blank(row, j, None, cell)
                        else:
                            sheet.write(row, j, value, money if isinstance(value, int) else cell)
                    row += 1
            sheet.set_column(0, 0, 16)
            sheet.set_column(3, 3, 24)
            sheet.set_column(4, 7, 14)
            sheet.set_column(8, 8, 40)
            sheet.set_column(9, 11, 14)
            sheet.freeze_panes(3, 0)
