"""Coverage plans (targets) and the materialised coverage facts."""

from django.conf import settings
from django.db import models


class Plan(models.Model):
    """A target for one year: participants (cards) or a coverage percentage, set by a decision."""

    class Metric(models.TextChoices):
        PARTICIPANTS = "participants"
        COVERAGE_PCT = "coverage_pct"

    # Exactly one subject: an administrative unit, an agency unit or (later) an officer.
    area = models.ForeignKey("geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency_unit = models.ForeignKey("campaign.AgencyUnit", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    year = models.SmallIntegerField()
    metric = models.CharField(max_length=20, choices=Metric.choices, default=Metric.PARTICIPANTS)
    value = models.DecimalField(max_digits=14, decimal_places=2)
    decision = models.CharField(max_length=100, blank=True)  # e.g. "462/QĐ-BHXH"
    created_by = models.CharField(max_length=150)  # username or "cli:<os user>"
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["year", "metric"])]

    def __str__(self):
        subject = self.area or self.agency_unit or self.officer
        return f"{subject} {self.year}: {self.value} {self.metric}"


class CoverageFact(models.Model):
    """Counts for one date, one area and one breakdown value; written by coverage_compute.

    Identity at every row: cards = insured_residents + non_resident_cards + unlinked_cards
    + duplicate_cards + other_area_cards (the net of cards placed here held by residents of
    other areas, minus residents here whose card is placed elsewhere).
    """

    class Level(models.TextChoices):
        PROVINCE = "province"
        AGENCY_UNIT = "agency_unit"
        COMMUNE = "commune"
        VILLAGE = "village"

    as_of = models.DateField()
    level = models.CharField(max_length=12, choices=Level.choices)
    area_code = models.CharField(max_length=32)  # AdminUnit.code, or AgencyUnit.code for agency units
    # "" = all; else payer_group, group_code, age_band (0-5/6-17/18-59/60+), age5, sex, ethnicity
    dimension = models.CharField(max_length=20, blank=True)
    value = models.CharField(max_length=60, blank=True)  # "" = none/unknown within a dimension
    residents = models.IntegerField(default=0)
    insured_residents = models.IntegerField(default=0)
    cards = models.IntegerField(default=0)
    non_resident_cards = models.IntegerField(default=0)
    unlinked_cards = models.IntegerField(default=0)
    duplicate_cards = models.IntegerField(default=0)
    other_area_cards = models.IntegerField(default=0)
    plan = models.IntegerField(null=True, blank=True)  # participants planned for the year (total rows only)

    class Meta:
        indexes = [models.Index(fields=["as_of", "level", "area_code", "dimension"])]

    def __str__(self):
        return f"{self.as_of} {self.level} {self.area_code} {self.dimension}={self.value}"


class ChangePart(models.Model):
    """One part of the change on the year in one area (coverage.digest): what the dashboard's waterfall
    draws, materialised when coverage is computed, since the decomposition reads the registers."""

    as_of = models.DateField()
    date_from = models.DateField()  # a year before
    level = models.CharField(max_length=12, choices=CoverageFact.Level.choices)
    area_code = models.CharField(max_length=32)
    part = models.CharField(max_length=20)  # coverage.change.PARTS
    cards = models.IntegerField()  # change in valid cards placed in the area
    insured_residents = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["as_of", "level", "area_code"])]
