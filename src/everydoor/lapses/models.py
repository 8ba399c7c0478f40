"""Trained lapse-risk models, versioned: every risk the lapse list shows names the version it came from."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class RiskModel(models.Model):
    """A classifier of "not renewed within 30 days of the card's end", learned from past card periods."""

    version = models.IntegerField(unique=True)
    trained_at = models.DateTimeField(auto_now_add=True)
    as_of = models.DateField()  # the registers as known on this date; outcomes observed up to it
    library = models.CharField(max_length=60)  # e.g. scikit-learn 1.7.2
    features = models.JSONField(default=list)
    trained_on = models.JSONField(default=dict)  # periods, lapses, the window of end dates
    metrics = models.JSONField(default=dict)  # held-out ROC AUC, base rate
    model = models.BinaryField()  # the fitted estimator (joblib), read back only by this code

    def __str__(self):
        return f"lapse risk model v{self.version}"


class LapseDigest(models.Model):
    """What the lapse page shows for one area (the province, an agency unit, a commune): the lapse list's
    summary and the year-end forecast, computed by `everydoor lapses prepare` from one version of the
    registers. A page reads one row; it never computes over the registers while the user waits."""

    level = models.CharField(max_length=20)  # province, agency_unit, commune
    area_code = models.CharField(max_length=20)
    province_code = models.CharField(max_length=10)
    as_of = models.DateField()
    until = models.DateField()  # lapsing before this date
    version = models.CharField(max_length=40)  # the registers' version (coverage.columnar.version_key)
    model_version = models.IntegerField(null=True)  # the risk model that scored the list
    summary = models.JSONField(encoder=DjangoJSONEncoder)  # lapses.report.summarize
    forecast = models.JSONField(encoder=DjangoJSONEncoder, null=True)  # lapses.forecast.forecast
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "area_code"], name="lapse_digest_one_per_area")]
