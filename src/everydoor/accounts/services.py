"""Writes of the accounts domain: the audit trail."""

from everydoor.accounts.models import AuditEvent


def audit_record(*, actor: str, action: str, user=None, object_type: str = "", object_id: str = "",
                 area_code: str = "", detail: dict | None = None) -> AuditEvent:
    """Record who did what; every change, export and personal-data look-up calls this."""
    return AuditEvent.objects.create(
        user=user, actor=actor, action=action, object_type=object_type,
        object_id=str(object_id), area_code=area_code, detail=detail or {},
    )
