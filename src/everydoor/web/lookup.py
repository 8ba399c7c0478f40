"""The clinic desk's page: is this card or citizen ID valid on a date, at which benefit level? (audited)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from everydoor.accounts.models import Role
from everydoor.accounts.scope import not_found, scope_for
from everydoor.core.dates import parse_iso, today
from everydoor.core.errors import EverydoorError
from everydoor.registry.eligibility import eligibility_check

LOOKUP_ROLES = (Role.CLINIC, Role.PROVINCE)


@login_required
def lookup(request):
    scope = scope_for(request.user)
    if scope.role not in LOOKUP_ROLES:
        raise not_found()
    value, answer, error = request.GET.get("id", "").strip(), None, ""
    on = today()
    if value:
        try:
            on = parse_iso(request.GET["on"], field="on") if request.GET.get("on") else today()
            answer = eligibility_check(value=value, on=on, actor=request.user.get_username(), user=request.user)
        except EverydoorError as exc:
            error = exc.message
    return render(request, "web/lookup.html", {"value": value, "on": on, "answer": answer, "error": error,
                                               "title": _("Card look-up")})
