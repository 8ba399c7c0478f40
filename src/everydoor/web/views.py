"""Pages. Thin: check the user's scope, call a selector, render."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from everydoor.accounts.selectors import user_area
from everydoor.registry.selectors import communes_overview


@login_required
def communes(request):
    area = user_area(request.user)
    rows = communes_overview(area)
    totals = {k: sum(r[k] for r in rows) for k in ("residents", "households", "cards")}
    return render(request, "web/communes.html", {"area": area, "rows": rows, "totals": totals})
