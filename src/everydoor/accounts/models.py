"""Roles, area scopes and the audit trail."""

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    PROVINCE = "province", "Provincial leadership / data office"
    UNIT_MANAGER = "unit_manager", "Agency unit manager"
    OFFICER = "officer", "Field officer / collaborator"
    COMMUNE_CHAIR = "commune_chair", "Commune chairman"
    CLINIC = "clinic", "Clinic desk (look-up only)"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=20, choices=Role.choices)
    # The area the user may see: a province, a commune or a village; null = whole country.
    area = models.ForeignKey("geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency_unit = models.ForeignKey("campaign.AgencyUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    full_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True)


class AuditEvent(models.Model):
    """Who did what to which record, and every export and look-up of personal data."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor = models.CharField(max_length=150)  # username, or "cli:<os user>"
    action = models.CharField(max_length=60, db_index=True)  # import, export, lookup, review, plan_set, ...
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    area_code = models.CharField(max_length=32, blank=True)
    detail = models.JSONField(default=dict)
