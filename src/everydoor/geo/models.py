"""Administrative units (province -> commune -> village) and pre-2025 lineage."""

from django.db import models


class AdminUnit(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province"
        COMMUNE = "commune"
        VILLAGE = "village"

    # Official code for provinces ("15") and communes ("02647"); villages get "<commune>-<n>".
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    # unit_key(name): lower case, no diacritics, no prefix -- the look-up form.
    key = models.CharField(max_length=200, db_index=True)
    level = models.CharField(max_length=10, choices=Level.choices, db_index=True)
    kind = models.CharField(max_length=40, blank=True)  # xã, phường, đặc khu, thôn, tổ dân phố
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    province_code = models.CharField(max_length=4, db_index=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    area_km2 = models.FloatField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["level", "key"])]

    def __str__(self):
        return self.name


class UnitLineage(models.Model):
    """A pre-July-2025 commune (with its old district and province) and the commune it is in now."""

    legacy_province = models.CharField(max_length=100)
    legacy_district = models.CharField(max_length=100)
    legacy_ward = models.CharField(max_length=100)
    legacy_province_code = models.CharField(max_length=4)
    legacy_district_code = models.CharField(max_length=8)
    legacy_ward_code = models.CharField(max_length=8, blank=True)
    # unit keys (no prefix) of the three levels, for look-ups
    province_key = models.CharField(max_length=100)
    district_key = models.CharField(max_length=100)
    ward_key = models.CharField(max_length=100, db_index=True)
    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="lineage")
    # A split commune maps to several; the package names the default one.
    is_default = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["province_key", "district_key", "ward_key"])]

    def __str__(self):
        return f"{self.legacy_ward}, {self.legacy_district}, {self.legacy_province} -> {self.commune}"


class AreaStatus(models.Model):
    """A commune's dated standing on a list the law attaches support to (DOMAIN.md), e.g. especially
    difficult: its ethnic-minority residents' cards are state-paid while it is on the list, and at
    70% for 36 months after it leaves."""

    class Status(models.TextChoices):
        ESPECIALLY_DIFFICULT = "especially_difficult"
        ISLAND = "island"
        POOR_COMMUNE = "poor_commune"

    commune = models.ForeignKey(AdminUnit, on_delete=models.PROTECT, related_name="statuses")
    status = models.CharField(max_length=30, choices=Status.choices)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)  # inclusive; None = still on the list
    source = models.CharField(max_length=300)  # the decision that put it on (or took it off) the list

    class Meta:
        indexes = [models.Index(fields=["commune", "status"])]

    def __str__(self):
        return f"{self.commune} {self.status} {self.effective_from}..{self.effective_to or ''}"
