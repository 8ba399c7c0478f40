"""The monthly coverage report: headline, tables by agency unit and commune, change, lagging
communes and charts; written as XLSX (XlsxWriter), PDF (WeasyPrint, A4) or Markdown."""

import datetime as dt
from pathlib import Path

from django.template.loader import render_to_string

from everydoor.accounts.services import audit_record
from everydoor.campaign.models import AgencyUnit
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.coverage import charts, columnar
from everydoor.coverage import formatting as fmt_
from everydoor.coverage.change import area_scope, cards_on_dates, change_frames
from everydoor.coverage.selectors import (
    area_level,
    coverage_breakdown,
    coverage_for_area,
    facts_ensure,
    lagging_areas,
    year_before,
)
from everydoor.geo.models import AdminUnit

FORMATS = ("xlsx", "pdf", "md")
LABELS = {
    "vi": {
        "title": "Báo cáo tình hình tham gia BHYT", "summary": "Tổng hợp", "units": "Theo đơn vị BHXH",
        "communes": "Theo xã, phường", "change": "Biến động so với cùng kỳ năm trước", "lagging": "Xã có tỷ lệ thấp",
        "trend": "Số người tham gia BHYT 12 tháng", "ranked": "Tỷ lệ dân cư có thẻ theo xã (thấp nhất)",
        "name": "Tên", "residents": "Dân số", "insured_residents": "Dân cư có thẻ", "cards": "Số người tham gia",
        "official_rate": "Tỷ lệ bao phủ", "resident_rate": "Tỷ lệ dân cư có thẻ", "plan": "Kế hoạch",
        "plan_attainment": "Đạt kế hoạch", "needed": "Cần phát triển thêm", "part": "Nguyên nhân", "count": "Số người",
        "total": "Tổng biến động", "people": "người", "difference": "Chênh lệch thẻ và dân cư có thẻ",
        "figure": "Chỉ tiêu", "value": "Giá trị", "cards_year_before": "Cùng kỳ năm trước", "change_label": "Tăng/giảm",
        "non_resident_cards": "Thẻ của người không cư trú", "unlinked_cards": "Thẻ chưa đối chiếu được",
        "duplicate_cards": "Thẻ trùng", "other_area_cards": "Thẻ của dân cư nơi khác (ròng)",
        "renewals": "Gia hạn (không làm thay đổi số)", "renewed_other_payer_group": "trong đó đổi nhóm đóng",
    },
    "en": {
        "title": "Health insurance coverage report", "summary": "Summary", "units": "By agency unit",
        "communes": "By commune", "change": "Change on the same date a year before", "lagging": "Lagging communes",
        "trend": "Health insurance participants, last 12 months", "ranked": "Resident rate by commune (lowest)",
        "name": "Name", "residents": "Residents", "insured_residents": "Insured residents", "cards": "Participants",
        "official_rate": "Official rate", "resident_rate": "Resident rate", "plan": "Plan",
        "plan_attainment": "Plan attained", "needed": "Still needed", "part": "Reason", "count": "People",
        "total": "Total change", "people": "people", "difference": "Cards minus insured residents",
        "figure": "Figure", "value": "Value", "cards_year_before": "A year before", "change_label": "Change",
        "non_resident_cards": "Cards of non-residents", "unlinked_cards": "Unlinked cards",
        "duplicate_cards": "Duplicate cards", "other_area_cards": "Cards of residents elsewhere (net)",
        "renewals": "Renewals (no change in count)", "renewed_other_payer_group": "of which under another payer group",
    },
}
PART_LABELS = {
    "vi": {"new_enrolments": "Tham gia mới", "births": "Trẻ sinh ra", "moves_in": "Chuyển đến", "lapses":
           "Thẻ hết hạn chưa gia hạn", "deaths": "Người đã mất", "moves_out": "Chuyển đi",
           "field_corrections": "Không còn sinh sống (xác minh tại hộ)",
           "reclassification": "Thay đổi nhóm đối tượng được ngân sách hỗ trợ",
           "remapping": "Điều chỉnh địa giới hành chính", "duplicates": "Thẻ trùng", "other": "Khác"},
    "en": {"new_enrolments": "New enrolments", "births": "Births", "moves_in": "Moves in", "lapses":
           "Lapses (expired, not renewed)", "deaths": "Deaths", "moves_out": "Moves out",
           "field_corrections": "Not living here (found at the door)",
           "reclassification": "Group reclassification (state support changed)",
           "remapping": "Administrative-unit remapping", "duplicates": "Duplicate cards", "other": "Other"},
}
COLUMNS = ["name", "residents", "cards", "official_rate", "insured_residents", "resident_rate", "plan",
           "plan_attainment"]


def _area_phrase(area, lang: str) -> str:
    if isinstance(area, AdminUnit) and area.level == "province":
        return "toàn tỉnh" if lang == "vi" else "the whole province"
    return area.name


# The headline's clauses per language; {placeholders} are filled in by headline().
HEADLINE = {
    "vi": {"opening": "{as_of}, {area} có {cards} người tham gia BHYT",
           "plan": ", đạt {attained} kế hoạch Bảo hiểm xã hội Việt Nam giao",
           "rate": ", tỷ lệ bao phủ {rate} dân số",
           "up": "; tăng {delta} người so với cùng kỳ năm trước",
           "down": "; giảm {delta} người so với cùng kỳ năm trước",
           "because": ", chủ yếu do ", "and": " và ", "loss": "{part} ({count} người)"},
    "en": {"opening": "{as_of}, {area} had {cards} health insurance participants",
           "plan": ", {attained} of the plan assigned by Viet Nam Social Security",
           "rate": ", a coverage rate of {rate} of the population",
           "up": "; {delta} more than a year before",
           "down": "; {delta} fewer than a year before",
           "because": ", mainly ", "and": " and ", "loss": "{part} ({count})"},
}


def headline(summary: dict, change: dict, area, as_of: dt.date, lang: str = "vi") -> str:
    """The opening sentence of every report, e.g. 'Tính đến hết tháng 10/2025, toàn tỉnh có …'."""
    n, p, words = (lambda v: fmt_.number(v, lang)), (lambda v: fmt_.percent(v, lang)), HEADLINE[lang]
    delta = summary["change"]
    text = words["opening"].format(as_of=fmt_.as_of_phrase(as_of, lang), area=_area_phrase(area, lang),
                                   cards=n(summary["cards"]))
    if summary["plan_attainment"] is not None:
        text += words["plan"].format(attained=p(summary["plan_attainment"]))
    text += words["rate"].format(rate=p(summary["official_rate"]))
    if delta:
        text += words["up" if delta > 0 else "down"].format(delta=n(abs(delta)))
    losses = sorted(((k, v) for k, v in change["parts"].items() if v < 0), key=lambda kv: kv[1])[:2]
    if delta < 0 and losses:
        text += words["because"] + words["and"].join(
            words["loss"].format(part=PART_LABELS[lang][k].lower(), count=n(-v)) for k, v in losses)
    return text + "."


def report_data(*, as_of: dt.date, area, lang: str = "vi") -> dict:
    """Everything the report shows, computed once; formats only lay it out."""
    facts_ensure(as_of)
    summary = coverage_for_area(area, as_of)
    before = year_before(as_of)
    dates = sorted(set(fmt_.month_ends(as_of, 13)) | {before, as_of})
    data = columnar.load_frames(dates=dates)
    scope = area_scope(area)
    change = change_frames(data, before, as_of, **scope)["cards"]
    trend = cards_on_dates(data, dates, **scope)
    is_province = isinstance(area, AdminUnit) and area.level == "province"
    units = coverage_breakdown(area, as_of, "agency_unit") if is_province else []
    level = "village" if isinstance(area, AdminUnit) and area.level in ("commune", "village") else "commune"
    communes = coverage_breakdown(area, as_of, level)
    lagging = lagging_areas(area, as_of, level=level, limit=15)
    labels = LABELS[lang]
    return {
        "as_of": as_of, "area": area, "lang": lang, "labels": labels, "summary": summary, "change": change,
        "trend": trend, "units": units, "communes": communes, "lagging": lagging["by_resident_rate"],
        "level": level, "headline": headline(summary, change, area, as_of, lang),
        "charts": {
            "trend": charts.trend_chart(trend, title=labels["trend"], y_title=labels["cards"]),
            "ranked": charts.ranked_bars(lagging["by_resident_rate"], title=labels["ranked"],
                                         x_title=labels["resident_rate"] + " (%)"),
        },
    }


def _cell(column: str, value, lang: str) -> str:
    if column.endswith(("rate", "attainment")):
        return fmt_.percent(value, lang)
    if isinstance(value, int):
        return fmt_.number(value, lang)
    return "-" if value is None else str(value)


def _rows(rows: list[dict], columns: list[str], lang: str) -> list[list[str]]:
    return [[_cell(c, r.get(c), lang) for c in columns] for r in rows]


def _summary_rows(report: dict) -> list[tuple[str, str]]:
    s, lang, labels = report["summary"], report["lang"], report["labels"]
    keys = ["residents", "cards", "official_rate", "insured_residents", "resident_rate", "plan", "plan_attainment",
            "cards_year_before"]
    rows = [(labels[k], _cell(k, s[k], lang)) for k in keys]
    rows.append((labels["change_label"], fmt_.signed(s["change"], lang)))
    rows += [(labels[k], fmt_.number(v, lang)) for k, v in s["difference"].items()]
    return rows


def _change_rows(report: dict) -> list[tuple[str, str]]:
    lang, change = report["lang"], report["change"]
    rows = [(PART_LABELS[lang][k], fmt_.signed(v, lang)) for k, v in change["parts"].items() if v]
    rows.append((report["labels"]["total"], fmt_.signed(change["total"], lang)))
    rows += [(report["labels"][k], fmt_.number(v, lang)) for k, v in change["flows"].items()]
    return rows


def _context(report: dict, chart_format: str) -> dict:
    lang, labels = report["lang"], report["labels"]
    lag_columns = ["name", "residents", "insured_residents", "resident_rate", "plan", "plan_attainment", "needed"]
    render = charts.svg if chart_format == "svg" else None
    return {
        **report, "title": f"{labels['title']} — {report['area'].name}",
        "date_label": fmt_.date_label(report["as_of"], lang),
        "summary_rows": _summary_rows(report), "change_rows": _change_rows(report),
        "columns": [labels[c] for c in COLUMNS], "unit_rows": _rows(report["units"], COLUMNS, lang),
        "commune_rows": _rows(report["communes"], COLUMNS, lang),
        "lag_columns": [labels[c] for c in lag_columns], "lag_rows": _rows(report["lagging"], lag_columns, lang),
        "svg": {k: render(v) for k, v in report["charts"].items()} if render else {},
    }


def write_pdf(report: dict, out: Path) -> int:
    """A4 PDF; returns the number of pages."""
    from weasyprint import HTML

    html = render_to_string("coverage/report_monthly.html", _context(report, "svg"))
    document = HTML(string=html).render()
    document.write_pdf(out)
    return len(document.pages)


def write_md(report: dict, out: Path) -> None:
    images = {}
    for name, spec in report["charts"].items():
        image = out.with_name(f"{out.stem}-{name}.png")
        image.write_bytes(charts.png(spec))
        images[name] = image.name
    context = _context(report, "png")
    context["images"] = images
    out.write_text(render_to_string("coverage/report_monthly.md", context), encoding="utf-8")


def write_xlsx(report: dict, out: Path) -> None:
    import io

    import xlsxwriter

    labels, lang = report["labels"], report["lang"]
    book = xlsxwriter.Workbook(str(out))
    try:
        bold = book.add_format({"bold": True})
        title = book.add_format({"bold": True, "font_size": 14})
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        head = book.add_format({"bold": True, "bg_color": "#dde6f0", "border": 1, "text_wrap": True})
        integer = book.add_format({"num_format": "#,##0", "border": 1})
        pct = book.add_format({"num_format": "0.00\\%", "border": 1})
        text = book.add_format({"border": 1})

        def table(sheet, top: int, rows: list[dict], columns: list[str]) -> int:
            sheet.write_row(top, 0, [labels[c] for c in columns], head)
            for i, row in enumerate(rows, start=top + 1):
                for j, column in enumerate(columns):
                    value = row.get(column)
                    style = pct if column.endswith(("rate", "attainment")) else integer if isinstance(value, int) else text
                    sheet.write(i, j, value, style) if value is not None else sheet.write_blank(i, j, None, text)
            sheet.set_column(0, 0, 28)
            sheet.set_column(1, len(columns), 14)
            return top + len(rows) + 2

        summary = book.add_worksheet(labels["summary"][:31])
        summary.write(0, 0, f"{labels['title']} — {report['area'].name} ({fmt_.date_label(report['as_of'], lang)})", title)
        summary.merge_range(1, 0, 4, 7, report["headline"], wrap)
        s = report["summary"]
        summary.write_row(6, 0, [labels["figure"], labels["value"]], head)
        keys = ["residents", "cards", "official_rate", "insured_residents", "resident_rate", "plan",
                "plan_attainment", "cards_year_before"]
        for i, key in enumerate(keys, start=7):
            summary.write(i, 0, labels[key], text)
            style = pct if key.endswith(("rate", "attainment")) else integer
            summary.write(i, 1, s[key], style) if s[key] is not None else summary.write_blank(i, 1, None, text)
        row = 7 + len(keys)
        summary.write(row, 0, labels["change_label"], text)
        summary.write(row, 1, s["change"], integer)
        summary.write(row + 2, 0, labels["difference"], bold)
        for i, (key, value) in enumerate(s["difference"].items(), start=row + 3):
            summary.write(i, 0, labels[key], text)
            summary.write(i, 1, value, integer)
        summary.set_column(0, 0, 34)
        summary.set_column(1, 1, 16)
        summary.insert_image(6, 3, "trend.png", {"image_data": io.BytesIO(charts.png(report["charts"]["trend"])),
                                                 "x_scale": 0.5, "y_scale": 0.5})
        if report["units"]:
            table(book.add_worksheet(labels["units"][:31]), 0, report["units"], COLUMNS)
        table(book.add_worksheet(labels["communes"][:31]), 0, report["communes"], COLUMNS)
        change = book.add_worksheet(labels["change"][:31])
        change.write_row(0, 0, [labels["part"], labels["count"]], head)
        for i, (name, value) in enumerate(report["change"]["parts"].items(), start=1):
            change.write(i, 0, PART_LABELS[lang][name], text)
            change.write(i, 1, value, integer)
        last = len(report["change"]["parts"]) + 1
        change.write(last, 0, labels["total"], head)
        change.write_formula(last, 1, f"=SUM(B2:B{last})", integer, report["change"]["total"])
        for i, (name, value) in enumerate(report["change"]["flows"].items(), start=last + 2):
            change.write(i, 0, labels[name], text)
            change.write(i, 1, value, integer)
        change.set_column(0, 0, 44)
        lag = book.add_worksheet(labels["lagging"][:31])
        table(lag, 0, report["lagging"], ["name", "residents", "insured_residents", "resident_rate", "plan",
                                           "plan_attainment", "needed"])
        lag.insert_image(len(report["lagging"]) + 3, 0, "ranked.png",
                         {"image_data": io.BytesIO(charts.png(report["charts"]["ranked"])), "x_scale": 0.5, "y_scale": 0.5})
    finally:
        book.close()


def report_monthly(*, as_of: dt.date, area: AdminUnit | AgencyUnit, fmt: str, out, lang: str = "vi",
                   actor: str, user=None) -> dict:
    """Write the monthly report of an area; audited as an export."""
    if fmt not in FORMATS:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if lang not in LABELS:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--lang must be vi or en, got {lang!r}")
    out = Path(out)
    if not out.parent.exists():
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"{out.parent}: no such folder")
    report = report_data(as_of=as_of, area=area, lang=lang)
    pages = {"xlsx": write_xlsx, "pdf": write_pdf, "md": write_md}[fmt](report, out)
    audit_record(actor=actor, user=user, action="export", object_type="coverage_report", object_id=out.name,
                 area_code=area.code, detail={"as_of": as_of.isoformat(), "format": fmt, "lang": lang,
                                              "level": area_level(area)})
    return {"out": str(out), "format": fmt, "lang": lang, "pages": pages, "headline": report["headline"],
            "summary": report["summary"], "change": report["change"]}
