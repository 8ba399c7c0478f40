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


def user_create(*, username: str, password: str, role: str, area=None, agency_unit=None, full_name: str = "",
                is_staff: bool = False, actor: str) -> object:
    """A new user with its role and area (an agency unit for unit managers); audited. INVALID_INPUT when the
    user exists, the role is unknown, the scope does not fit the role, or the password is too weak."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from everydoor.accounts.models import Profile, Role
    from everydoor.core.errors import ErrorCode, EverydoorError

    if role not in Role.values:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"--role must be one of {', '.join(Role.values)}; got {role!r}")
    if get_user_model().objects.filter(username=username).exists():
        raise EverydoorError(ErrorCode.INVALID_INPUT,
                             f"user {username!r} exists; set a password with `everydoor user password {username}`")
    if area is None and agency_unit is None:
        raise EverydoorError(ErrorCode.INVALID_INPUT, "name the user's area with --area (or --unit for a unit manager)")
    if role == Role.PROVINCE and (area is None or area.level != "province"):
        raise EverydoorError(ErrorCode.INVALID_INPUT, "a province user's --area must be a province")
    if role == Role.COMMUNE_CHAIR and (area is None or area.level != "commune"):
        raise EverydoorError(ErrorCode.INVALID_INPUT, "a commune chairman's --area must be a commune")
    _password_check(password, username)
    with transaction.atomic():
        user = get_user_model().objects.create_user(username=username, password=password, is_staff=is_staff)
        Profile.objects.create(user=user, role=role, area=area, agency_unit=agency_unit, full_name=full_name)
        audit_record(actor=actor, action="user_create", object_type="user", object_id=username,
                     area_code=(area.code if area else agency_unit.code),
                     detail={"role": role, "staff": is_staff, "unit": agency_unit.code if agency_unit else None})
    return user


def user_password_set(*, username: str, password: str, actor: str) -> None:
    """Set (or reset) a user's password, e.g. for officers imported without one; audited."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from everydoor.core.errors import ErrorCode, EverydoorError

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise EverydoorError(ErrorCode.NOT_FOUND, f"no user {username!r}")
    _password_check(password, username)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_record(actor=actor, action="user_password", object_type="user", object_id=username)


def _password_check(password: str, username: str) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from everydoor.core.errors import ErrorCode, EverydoorError

    try:
        validate_password(password)
    except ValidationError as exc:
        raise EverydoorError(ErrorCode.INVALID_INPUT, f"password for {username!r}: {' '.join(exc.messages)}") from None
