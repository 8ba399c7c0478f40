"""Shared records: long-running jobs, versions of derived data."""

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


class DataVersion(models.Model):
    """A random token replaced by every write to a group of tables, in the writer's transaction.

    Derived copies (the columnar copy of the registers that coverage reads) are keyed by the token:
    a changed token means a stale copy. Random, not a counter, so a rolled-back or flushed database
    can never meet a copy made from other data.
    """

    name = models.CharField(max_length=30, primary_key=True)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)


class SiteSetting(models.Model):
    """A setting of this installation kept with its data, e.g. the demo's clock ("today" = 2025-11-03)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.CharField(max_length=200)
    changed_at = models.DateTimeField(auto_now=True)
