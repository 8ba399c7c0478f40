"""Manager pages: imports and their quarantine, data-quality lists, the monthly report. Every download of
personal data is audited; every object outside the user's scope is a 404."""

import csv
import datetime as dt
import tempfile
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from everydoor.accounts import scope as scoping
from everydoor.accounts.services import audit_record
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.coverage import stored
from everydoor.linkage.quality import LISTS, dq_lists

QUARANTINE_COLUMNS = ("row_number", "field", "reason", "message", "raw")
REPORT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}


def _manager(request):
    scope = scoping.scope_for(request.user)
    if not scope.manages:
        raise scoping.not_found()
    return scope


def _csv_response(name: str) -> tuple[HttpResponse, csv.writer]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # a BOM: Excel then reads Vietnamese names as UTF-8
    return response, csv.writer(response)


@login_required
def imports(request):
    scope = _manager(request)
    batches = (scoping.import_batches(scope).order_by("-started_at", "-id")
               .annotate(quarantined_rows=Count("quarantine__row_number", distinct=True))[:100])
    return render(request, "web/imports.html", {"batches": batches, "province": scope.is_province})


@login_required
def quarantine_csv(request, batch_id: int):
    scope = _manager(request)
    rows = scoping.quarantine_rows(scope, batch_id)
    batch = scoping.import_batches(scope).get(pk=batch_id)
    response, writer = _csv_response(f"quarantine-{batch_id}.csv")
    writer.writerow(("file", *QUARANTINE_COLUMNS))
    count = 0
    for row in rows.values(*QUARANTINE_COLUMNS).iterator(chunk_size=2000):
        writer.writerow((batch.file_name, *(row[c] for c in QUARANTINE_COLUMNS)))
        count += 1
    audit_record(actor=request.user.get_username(), user=request.user, action="export", object_type="quarantine",
                 object_id=str(batch_id), area_code=scope.province_code, detail={"rows": count})
    return response


@login_required
def quality(request):
    _manager(request)
    return render(request, "web/quality.html", {"lists": LISTS})


@login_required
def quality_csv(request, name: str):
    scope = _manager(request)
    if name not in LISTS:
        raise scoping.not_found()
    frame = dq_lists(commune_ids=sorted(scope.commune_ids))[name]
    response, writer = _csv_response(f"{name}.csv")
    writer.writerow(frame.columns)
    writer.writerows(frame.iter_rows())
    area = scoping.home_area(scope)
    audit_record(actor=request.user.get_username(), user=request.user, action="export", object_type="dq_list",
                 object_id=name, area_code=area.code if area else "", detail={"rows": frame.height})
    return response


@login_required
def report(request):
    """The monthly report of an area in the user's scope, XLSX or PDF, Vietnamese or English (audited)."""
    from everydoor.coverage.report import report_monthly

    scope = _manager(request)
    code, fmt, lang = request.GET.get("area", ""), request.GET.get("format", "xlsx"), request.GET.get("lang", "vi")
    unit = request.GET.get("unit", "")
    area = scoping.agency_unit_get(scope, unit) if unit else scoping.area_get(scope, code)
    if fmt not in REPORT_TYPES or lang not in ("vi", "en"):
        raise EverydoorError(ErrorCode.INVALID_INPUT, _("format must be xlsx or pdf, lang vi or en"))
    dates, _version = stored.fact_dates(scope.province_code)
    try:
        as_of = dt.date.fromisoformat(request.GET.get("as_of", "")) if request.GET.get("as_of") else dates[0]
    except (ValueError, IndexError):
        raise EverydoorError(ErrorCode.INVALID_INPUT, _("as_of must be a date YYYY-MM-DD")) from None
    if as_of not in dates:
        raise EverydoorError(ErrorCode.INVALID_INPUT, _("No coverage was computed for %(day)s; computed: %(dates)s")
                             % {"day": as_of.isoformat(), "dates": ", ".join(d.isoformat() for d in dates)})
    folder = Path(tempfile.mkdtemp(prefix="everydoor-report-"))
    out = folder / f"coverage-{area.code}-{as_of.isoformat()}-{lang}.{fmt}"
    report_monthly(as_of=as_of, area=area, fmt=fmt, out=out, lang=lang, actor=request.user.get_username(),
                   user=request.user)
    handle = out.open("rb")
    out.unlink()  # the open handle keeps the bytes until the response is sent; nothing is left behind
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=out.name, content_type=REPORT_TYPES[fmt])


