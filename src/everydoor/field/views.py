"""The officer's phone pages, the endpoint its queue sends visits to, and the manager's refusals.

Thin: check the role and the scope, call one selector or service, render. The pages are cached by
the service worker (static/field/sw.js) and must read the same offline: nothing on them depends on
a request made after they load, except what field.js reads from IndexedDB. The pages a village's
download fetches are gzip-compressed (a household page of the demo: ~7.8 KiB, ~2.6 KiB sent); they
carry no CSRF token or secret for a compression side channel to recover.
"""

import json
from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST

from everydoor.accounts.models import Role
from everydoor.accounts.services import audit_record
from everydoor.campaign.models import Visit
from everydoor.core.dates import today
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.field import selectors
from everydoor.field.services import phone_visit_send, refusal_status

DOWNLOAD_HEADER = "X-Field-Download"  # the village id, on the page requests of a download (field.js)


def _lang() -> str:
    return "en" if (get_language() or "vi").startswith("en") else "vi"


def _officer(request):
    if getattr(getattr(request.user, "profile", None), "role", None) != Role.OFFICER:
        # as the web pages answer what is not the user's: 404, no hint that anything is there
        raise EverydoorError(ErrorCode.NOT_FOUND, "these pages are for field officers")
    return request.user


@require_GET
def service_worker(request):
    """The service worker from a path under /field/, so that its scope covers every field page."""
    response = HttpResponse(Path(finders.find("field/sw.js")).read_bytes(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # a new version reaches the phones at their next visit
    response["Service-Worker-Allowed"] = reverse("field:day")
    return response


@gzip_page
@login_required
def day(request):
    officer, on = _officer(request), today()
    return render(request, "field/day.html", {"on": on, **selectors.officer_day(officer, on=on, lang=_lang())})


@gzip_page
@login_required
def village(request, village_id: int):
    officer, on = _officer(request), today()
    place = selectors.officer_village(officer, village_id, on=on)
    listed = selectors.village_worklist(place, on=on, lang=_lang())
    return render(request, "field/village.html", {
        "on": on, "village": place, "list": listed, "households": listed["households"]})


@gzip_page
@login_required
def household(request, household_id: int):
    officer, on = _officer(request), today()
    home = selectors.officer_household(officer, household_id, on=on)
    detail = selectors.household_page(home, on=on, lang=_lang())
    if request.headers.get(DOWNLOAD_HEADER) != str(home.village_id):  # a village's download is audited once
        audit_record(actor=officer.get_username(), user=officer, action="lookup", object_type="household",
                     object_id=home.code, area_code=home.commune.code, detail={"page": "field"})
    return render(request, "field/household.html", {
        "on": on, "household": home, **detail, "outcomes": Visit.Outcome.choices, "reasons": Visit.Reason.choices})


@gzip_page
@login_required
def village_offline(request, village_id: int):
    """The paths a phone caches to work this village offline: the households still to visit (a village of
    the demo holds up to 1,600 households; the work list about half of them). Their pages are fetched
    with DOWNLOAD_HEADER, so that this audit record stands for them all."""
    officer, on = _officer(request), today()
    place = selectors.officer_village(officer, village_id, on=on)
    households = selectors.village_worklist(place, on=on, lang=_lang())["households"]
    paths = [reverse("field:day"), reverse("field:village", args=[place.id])]
    paths += [reverse("field:household", args=[h["household_id"]]) for h in households]
    paths += [static(f"field/{name}") for name in ("field.css", "outbox.js", "field.js")]
    audit_record(actor=officer.get_username(), user=officer, action="download", object_type="village_offline",
                 object_id=place.code, area_code=place.parent.code if place.parent else "",
                 detail={"households": len(households)})
    return JsonResponse({"village": place.id, "name": place.name, "households": len(households), "paths": paths})


@require_GET
def session(request):
    """Who is signed in and a fresh CSRF token: the queue asks before sending, so that an expired
    sign-in makes it wait (and say so) instead of turning queued visits into refusals."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "login": reverse("login")}, status=401)
    return JsonResponse({"signed_in": True, "user": request.user.get_username(), "csrf": get_token(request)})


@require_POST
def visit_send(request):
    """One queued visit from a phone: 201 new, 200 already recorded (a retry), 4xx refused (kept for
    the manager, never to be re-sent by the phone) but 401: signed out, nothing was looked at (the
    phone keeps the visit and asks to sign in; a redirect to the sign-in page could pass for a 200)."""
    if not request.user.is_authenticated:
        return JsonResponse({"code": "signed_out", "field": None, "message": "sign in again"}, status=401)
    officer = _officer(request)
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError:
        return JsonResponse({"code": "invalid_input", "field": None, "message": "the body must be a JSON object"},
                            status=400)
    try:
        visit, created = phone_visit_send(officer=officer, payload=payload)
    except EverydoorError as error:
        return JsonResponse({"code": str(error.code), "field": error.field, "message": error.message},
                            status=refusal_status(error))
    return JsonResponse({"uuid": str(visit.uuid), "id": visit.id}, status=201 if created else 200)


@login_required
def attention(request):
    """Unit managers: the visits the server refused from their officers' phones."""
    communes = selectors.manager_communes(request.user)
    return render(request, "field/attention.html", {"refusals": selectors.refused_visits(communes)})
