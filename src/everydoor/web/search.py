"""Search of places and residents, with or without diacritics ("Mường Bo" = "muong bo"), within the scope.

Residents are searched by name inside one commune (the name index is the folded name; a province-wide
substring search would read every resident), or by a whole 12-digit personal ID anywhere in the scope.
Every search of residents is a look-up of personal data: audited.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from everydoor.accounts import scope as scoping
from everydoor.accounts.services import audit_record
from everydoor.core.text import fold, unit_key
from everydoor.web.masking import mask_id

LIMIT = 50


@login_required
def search(request):
    scope = scoping.scope_for(request.user)
    if not scope.reads_areas:
        raise scoping.not_found()
    text = request.GET.get("q", "").strip()
    communes = scoping.communes(scope).order_by("name")
    chosen = request.GET.get("commune", "")
    if len(scope.commune_ids) == 1:
        chosen = communes.values_list("code", flat=True).first()
    places, people = [], []
    if len(text) >= 2:
        key = unit_key(text)
        places = list(scoping.villages(scope).filter(key__contains=key).select_related("parent")[:LIMIT]) if key else []
        places = list(communes.filter(key__contains=key)[:LIMIT]) + places if key else places
        residents = scoping.persons(scope).filter(present=True)
        if text.isdigit() and len(text) == 12:
            residents = residents.filter(personal_id=text)
        elif chosen:
            residents = residents.filter(commune__code=chosen, name_key__contains=fold(text))
        else:
            residents = residents.none()
        people = list(residents.select_related("household", "village").order_by("name_key", "id")[:LIMIT])
        for person in people:
            person.shown_id = person.personal_id if scope.sees_ids else mask_id(person.personal_id)
        if people:
            audit_record(actor=request.user.get_username(), user=request.user, action="lookup",
                         object_type="person_search", object_id=text[:100], area_code=chosen or scope.province_code,
                         detail={"persons": [p.id for p in people]})
    return render(request, "web/search.html", {
        "q": text, "places": places, "people": people, "communes": communes.values("code", "name"),
        "commune": chosen, "one_commune": len(scope.commune_ids) == 1, "searched": len(text) >= 2,
    })


