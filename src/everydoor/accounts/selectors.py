"""Reads of the accounts domain: what area a user may see."""

from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit


def user_area(user) -> AdminUnit:
    """The user's area; a user without a profile area sees nothing rather than everything."""
    profile = getattr(user, "profile", None)
    if profile and profile.area_id:
        return profile.area
    raise EverydoorError(ErrorCode.FORBIDDEN, "this account has no area assigned")
