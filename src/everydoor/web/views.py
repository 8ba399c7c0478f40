"""The review queue. Thin: check the user's scope, call a selector or a service, render."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from everydoor.accounts import scope as scoping
from everydoor.accounts.services import audit_record
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.linkage.selectors import review_page
from everydoor.linkage.services import review_decide

REVIEW_PAGE_SIZE = 50


def _reviewer(request):
    """The reviewer's scope; deciding pairs shows personal data: province and agency unit staff only."""
    scope = scoping.scope_for(request.user)
    if not scope.manages:
        raise scoping.not_found()
    return scope


@login_required
def review(request):
    scope = _reviewer(request)
    commune = request.GET.get("commune", "")
    communes = scoping.communes(scope)
    page = review_page(communes=communes, commune_code=commune, number=request.GET.get("page"),
                       per_page=REVIEW_PAGE_SIZE)
    area = scoping.home_area(scope)
    # the page shows residents' personal data: every view of it is audited
    audit_record(actor=request.user.get_username(), user=request.user, action="lookup", object_type="review_queue",
                 area_code=area.code, detail={"commune": commune, "page": page.number,
                                              "items": [row["id"] for row in page.object_list]})
    return render(request, "web/review.html", {
        "area": area, "page": page, "commune": commune,
        "communes": communes.order_by("name").values("code", "name"),
    })


@login_required
@require_POST
def review_decision(request, item_id: int, accept: bool):
    scope = _reviewer(request)
    if not scoping.review_items(scope).filter(pk=item_id).exists():
        raise scoping.not_found()
    try:
        item = review_decide(item_id=item_id, accept=accept, user=request.user)
    except EverydoorError as exc:
        if exc.code != ErrorCode.INVALID_INPUT:  # already decided: say so on the list; anything else is a 4xx
            raise
        messages.error(request, _("Pair %(id)s was already decided: %(why)s") % {"id": item_id, "why": exc.message})
    else:
        text = _("Pair %(id)s accepted: card linked to the resident") if accept else _("Pair %(id)s rejected")
        messages.success(request, text % {"id": item.id})
    # back to the same filtered page; only these two fields are taken from the form, so no open redirect
    back = {k: request.POST[k] for k in ("commune", "page") if request.POST.get(k)}
    return redirect(reverse("review") + (f"?{urlencode(back)}" if back else ""))
