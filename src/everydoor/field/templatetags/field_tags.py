"""Words for the codes the campaign stores: outcomes, refusal reasons, card states."""

from django import template
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from everydoor.core.dates import today
from everydoor.coverage import formatting

register = template.Library()

OUTCOMES = {
    "enrolled": _("Enrolled"), "promised": _("Promised to enrol"), "refused": _("Refused"),
    "not_at_home": _("Not at home"), "moved_away": _("Moved away"), "deceased": _("Deceased"),
    "never_lived_here": _("Never lived here"), "insured_elsewhere": _("Insured elsewhere"),
    "wrong_data": _("Wrong data"),
}
REASONS = {"cost": _("Cost"), "no_benefit": _("Sees no benefit"), "distrust": _("Distrust"), "other": _("Other")}
CARD_STATES = {"none": _("No card found"), "lapsed": _("Lapsed on"), "expiring": _("Expires on"),
               "valid": _("Insured until"), "future": _("Card starts on")}


@register.filter
def born(value):
    """A member's date of birth as the work list gives it (YYYY-MM-DD, or the year alone), written for the reader."""
    return formatting.date_text(value, "vi" if get_language().startswith("vi") else "en")


SEXES = {"M": ("Nam", "Male"), "F": ("Nữ", "Female")}  # the registers' codes, as the work list gives them


@register.filter
def sex(code):
    words = SEXES.get(code)
    return words[not get_language().startswith("vi")] if words else code


@register.filter
def outcome(code):
    return OUTCOMES.get(code, code)


@register.filter
def reason(code):
    return REASONS.get(code, code)


@register.filter
def card_state(code):
    return CARD_STATES.get(code, code)


@register.simple_tag
def outcome_words():
    """The outcomes in the page's language, for the queue's lists drawn by field.js."""
    return {code: str(label) for code, label in OUTCOMES.items()}


@register.simple_tag
def clock_offset_days():
    """The working day minus the calendar's (0 but in the demo, whose clock is its own): the phone stamps
    its visits and checks follow-up dates on the working day."""
    return (today() - timezone.localdate()).days


@register.filter
def vnd(amount):
    """Whole dong grouped as each language writes it: 1.475.810 in Vietnamese, 1,475,810 in English."""
    grouped = f"{int(amount):,}"
    return grouped if (get_language() or "vi").startswith("en") else grouped.replace(",", ".")
