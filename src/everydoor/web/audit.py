"""The audit trail for the provincial administrator: filter it, read it, download it (the download is audited)."""

import csv
import datetime as dt
import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from everydoor.accounts import scope as scoping
from everydoor.accounts.selectors import audit_filter
from everydoor.accounts.services import audit_record
from everydoor.core.errors import ErrorCode, EverydoorError

PAGE_SIZE = 100
CSV_COLUMNS = ("at", "actor", "action", "object_type", "object_id", "area_code", "detail")


def _date(request, name: str) -> dt.date | None:
    value = request.GET.get(name, "")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise EverydoorError(ErrorCode.INVALID_INPUT, _("%(field)s must be a date YYYY-MM-DD") % {"field": name}) from None


def _events(request):
    scope = scoping.scope_for(request.user)
    if not scope.is_admin:
        raise scoping.not_found()
    filters = {"who": request.GET.get("who", "").strip(), "action": request.GET.get("action", "").strip(),
               "area_code": request.GET.get("area", "").strip(),
               "date_from": _date(request, "from"), "date_to": _date(request, "to")}
    return scope, filters, audit_filter(scoping.audit_events(scope), **filters)


@login_required
def audit_page(request):
    scope, filters, events = _events(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    actions = sorted(set(scoping.audit_events(scope).values_list("action", flat=True).distinct()))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/audit.html", {"page": page, "filters": request.GET, "actions": actions,
                                              "query": query.urlencode()})


@login_required
def audit_csv(request):
    scope, filters, events = _events(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV with Vietnamese names correctly only with a BOM
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for event in events.values(*CSV_COLUMNS).iterator(chunk_size=2000):
        writer.writerow([event["at"].isoformat(), *(event[c] for c in CSV_COLUMNS[1:-1]),
                         json.dumps(event["detail"], ensure_ascii=False)])
        count += 1
    audit_record(actor=request.user.get_username(), user=request.user, action="export", object_type="audit_csv",
                 area_code=scope.province_code,
                 detail={"rows": count, **{k: str(v) for k, v in filters.items() if v}})
    return response
