"""`{% load pages %}`: the colour band of a resident rate, as the map draws it."""

from django import template

from everydoor.web.svg import BANDS

register = template.Library()


@register.filter
def band(rate) -> str:
    """'band-0' (far below the goal) to 'band-4' (goal met); 'band-none' without figures."""
    if rate is None or rate == "":
        return "band-none"
    return f"band-{next(i for i, (upper, _) in enumerate(BANDS) if float(rate) < upper)}"
