"""Shared records: long-running jobs."""

from django.db import models


class JobRun(models.Model):
    """A long job (link, coverage, demo build) so pages can show its state."""

    kind = models.CharField(max_length=30)
    status = models.CharField(max_length=12, default="running")  # running, done, failed
    params = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
