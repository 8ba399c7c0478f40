"""What the server refused from the officers' phones, kept for their unit managers.

A phone sends each queued visit through the field app (views.visit_send), which records any
refusal itself at the moment it answers 4xx: the manager sees it even if the phone is lost or
never reports back, and a phone re-sending the same refused visit updates one row, never adds one.
"""

from django.conf import settings
from django.db import models


class RefusedVisit(models.Model):
    uuid = models.CharField(max_length=64, unique=True)  # the phone's visit UUID, as sent (even malformed)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    commune = models.ForeignKey("geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.SmallIntegerField()  # the HTTP status the phone got: 403, 409, 422, ...
    code = models.CharField(max_length=30)  # core.errors.ErrorCode
    message = models.CharField(max_length=500)
    payload = models.JSONField(default=dict)  # the visit as the phone sent it
    first_at = models.DateTimeField(auto_now_add=True)
    last_at = models.DateTimeField(auto_now=True)
    attempts = models.IntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["commune", "last_at"])]

    def __str__(self):
        return f"refused {self.uuid} {self.status} {self.code}"
