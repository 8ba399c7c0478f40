"""Writes of the accounts domain: the audit trail."""

from everydoor.accounts.models import AuditEvent


def audit_record(*, actor: str, action: str, user=None, object_type: str = "", object_id: str = "",
                 area_code: str = "", detail: dict | None = None) -> AuditEvent:
    """Record who did what; every change, export and personal-data look-up calls this."""
    return AuditEvent.objects.create(
        user=user, actor=actor, action=action, object_type=object_type,
        object_id=str(object_id), area_code=area_code, detail=detail or {},
    )


def user_upsert(*, username: str, password: str, role: str, area=None, agency_unit=None, is_staff=False):
    """Create or update a user with its role and area scope (one transaction)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from everydoor.accounts.models import Profile

    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = is_staff
        user.save()
        Profile.objects.update_or_create(user=user, defaults={"role": role, "area": area,
                                                               "agency_unit": agency_unit})
    return user
