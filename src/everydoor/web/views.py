"""Pages. Thin: check the user's scope, call a selector or a service, render."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from everydoor.accounts.selectors import user_area
from everydoor.accounts.services import audit_record
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.selectors import communes_in
from everydoor.linkage.selectors import review_item_in_area, review_page
from everydoor.linkage.services import review_decide
from everydoor.registry.selectors import communes_overview
from everydoor.web.access import reviewer_area

REVIEW_PAGE_SIZE = 50


@login_required
def communes(request):
    area = user_area(request.user)
    rows = communes_overview(area)
    totals = {k: sum(r[k] for r in rows) for k in ("residents", "households", "cards")}
    return render(request, "web/communes.html", {"area": area, "rows": rows, "totals": totals})


@login_required
def review(request):
    area = reviewer_area(request.user)
    commune = request.GET.get("commune", "")
    page = review_page(area=area, commune_code=commune, number=request.GET.get("page"), per_page=REVIEW_PAGE_SIZE)
    # the page shows residents' personal data: every view of it is audited
    audit_record(actor=request.user.get_username(), user=request.user, action="lookup", object_type="review_queue",
                 area_code=area.code, detail={"commune": commune, "page": page.number,
                                              "items": [row["id"] for row in page.object_list]})
    return render(request, "web/review.html", {
        "area": area, "page": page, "commune": commune,
        "communes": communes_in(area).order_by("name").values("code", "name"),
    })


@login_required
@require_POST
def review_decision(request, item_id: int, accept: bool):
    review_item_in_area(item_id=item_id, area=reviewer_area(request.user))
    try:
        item = review_decide(item_id=item_id, accept=accept, user=request.user)
    except EverydoorError as exc:
        if exc.code != ErrorCode.INVALID_INPUT:  # already decided: say so on the list; anything else is a 4xx
            raise
        messages.error(request, f"Cặp {item_id} đã được quyết định trước đó / {exc.message}")
    else:
        verb = "Đã chấp nhận" if accept else "Đã từ chối"
        messages.success(request, f"{verb} cặp {item.id} / Review item {item.id} {item.decision}")
    # back to the same filtered page; only these two fields are taken from the form, so no open redirect
    back = {k: request.POST[k] for k in ("commune", "page") if request.POST.get(k)}
    return redirect(reverse("review") + (f"?{urlencode(back)}" if back else ""))
