"""Reads of the accounts domain: what area a user may see."""

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit


def user_area(user) -> AdminUnit:
    """The user's area; a user without a profile area sees nothing rather than everything."""
    profile = getattr(user, "profile", None)
    if profile and profile.area_id:
        return profile.area
    raise EverydoorError(ErrorCode.FORBIDDEN, "this account has no area assigned")


def audit_filter(events, *, who: str = "", action: str = "", area_code: str = "", date_from=None, date_to=None):
    """Audit events (an already scoped queryset) filtered as the audit page asks, newest first."""
    import datetime as dt

    from django.utils import timezone

    if who:
        events = events.filter(actor__icontains=who)
    if action:
        events = events.filter(action=action)
    if area_code:
        events = events.filter(area_code__startswith=area_code)  # a commune's code also selects its villages
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=zone))
    if date_to:
        events = events.filter(at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone))
    return events.order_by("-at", "-id")
