"""Who may use which page: roles checked at the edge, as the API does for look-ups."""

from everydoor.accounts.models import Role
from everydoor.accounts.selectors import user_area
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.geo.models import AdminUnit

# Deciding a pair shows residents' personal data and changes links: the provincial data office and
# agency unit managers do it (DESIGN.md §1); commune chairs, field officers and clinics do not.
REVIEW_ROLES = (Role.PROVINCE, Role.UNIT_MANAGER)


def may_review(user) -> bool:
    return getattr(getattr(user, "profile", None), "role", None) in REVIEW_ROLES


def reviewer_area(user) -> AdminUnit:
    """The area a reviewer decides in; FORBIDDEN for the other roles."""
    if not may_review(user):
        raise EverydoorError(ErrorCode.FORBIDDEN, "reviewing links is for province and agency unit staff")
    return user_area(user)
