"""Trained lapse-risk models, versioned: every risk the lapse list shows names the version it came from."""

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
