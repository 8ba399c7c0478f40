"""What every page's header needs: which links the user's role opens (no query beyond the profile)."""

from everydoor.accounts.models import Role
from everydoor.accounts.scope import MANAGER_ROLES


def navigation(request):
    user = getattr(request, "user", None)
    profile = getattr(user, "profile", None) if user is not None and user.is_authenticated else None
    role = getattr(profile, "role", None)
    return {"nav": {
        "role": role,
        "areas": role in (Role.PROVINCE, Role.UNIT_MANAGER, Role.COMMUNE_CHAIR, Role.OFFICER),
        "manages": role in MANAGER_ROLES,
        "province": role == Role.PROVINCE,
        "admin": role == Role.PROVINCE and user.is_staff,
        "lookup": role in (Role.CLINIC, Role.PROVINCE),
        "lapses": role in (Role.PROVINCE, Role.UNIT_MANAGER, Role.COMMUNE_CHAIR),
        "field": role == Role.OFFICER,  # the phone pages (everydoor.field)
        # targets and progress: the roles with a part of the campaign of their own (accounts.scope.campaign_subject)
        "campaign": role == Role.OFFICER or (role == Role.UNIT_MANAGER and bool(profile.agency_unit_id))
        or (role in (Role.PROVINCE, Role.COMMUNE_CHAIR) and bool(profile.area_id)),
    }}
