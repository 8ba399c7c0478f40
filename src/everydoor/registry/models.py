"""The population register (households, residents) and the participant register (cards)."""

from django.conf import settings
from django.db import models

from everydoor.core.fields import CodeField


class ImportBatch(models.Model):
    class Kind(models.TextChoices):
        UNITS = "units"
        POPULATION = "population"
        CARDS = "cards"
        PLANS = "plans"

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        UNCHANGED = "unchanged"  # the same extract again: nothing to do

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=500)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    as_of = models.DateField()
    scope = models.JSONField(default=list)  # commune codes the extract covers
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    rows_read = models.IntegerField(default=0)
    rows_loaded = models.IntegerField(default=0)
    rows_quarantined = models.IntegerField(default=0)
    rows_flagged = models.IntegerField(default=0)  # rows loaded with any flag
    # Rows loaded with a field emptied for a defect, per field ({"date_of_birth": 2}): pipeline.checks.FieldDefect.
    flagged_fields = models.JSONField(default=dict)
    rows_inserted = models.IntegerField(default=0)
    rows_updated = models.IntegerField(default=0)
    rows_absent = models.IntegerField(default=0)  # in scope but missing from this extract
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self):
        return f"{self.kind} {self.file_name} as of {self.as_of}"


class QuarantineRow(models.Model):
    """A row rejected by an import, with the file, row number, field and reason."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="quarantine")
    file_name = models.CharField(max_length=500)
    row_number = models.IntegerField()  # 1-based data row; the header is row 0
    field = models.CharField(max_length=60)
    reason = models.CharField(max_length=60)
    message = models.CharField(max_length=500)
    raw = models.TextField()  # the row as received, JSON

    class Meta:
        ordering = ["batch_id", "row_number"]


class Household(models.Model):
    code = CodeField(max_length=40, unique=True)  # household ID as in the register
    commune = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # As the register or a visit gave it. Nullable (null = unknown) so that adding it to a database that
    # holds a register is an ALTER TABLE on SQLite, not a copy of the table.
    phone = models.CharField(max_length=20, null=True, blank=True)


class HouseholdCertificate(models.Model):
    """A household's poor / near-poor / average-living-standard certificate: state support while valid."""

    class Kind(models.TextChoices):
        POOR = "poor"
        NEAR_POOR = "near_poor"
        AVERAGE_LIVING_STANDARD = "average_living_standard"  # agri/forestry/fishery/salt households

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)  # inclusive; None = open-ended
    number = models.CharField(max_length=60, blank=True)  # the certificate or decision number
    batch = models.ForeignKey("ImportBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              db_index=False)

    class Meta:
        indexes = [models.Index(fields=["household", "valid_from"])]


class Person(models.Model):
    """A resident as last seen in the population register; history in PersonHistory."""

    class Status(models.TextChoices):
        RESIDENT = "resident"
        MOVED_OUT = "moved_out"
        DECEASED = "deceased"

    # personal_id when the register has one, else a key from household, name and birth date
    record_key = CodeField(max_length=200)  # unique: see Meta
    personal_id = CodeField(max_length=12, null=True, blank=True)
    full_name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200)  # folded: no case, no diacritics
    dob = models.DateField(null=True, blank=True)  # only when the full date is known
    dob_year = models.SmallIntegerField(null=True, blank=True)  # null: no readable date of birth (flagged)
    dob_month = models.SmallIntegerField(null=True, blank=True)
    dob_day = models.SmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)  # M, F or unknown
    ethnicity = models.CharField(max_length=60, blank=True)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    relation_to_head = models.CharField(max_length=60, blank=True)
    # Indexes cost every import; the (commune, status, present) index serves commune look-ups. A village's
    # residents are found through its households (Household.village, then household), or in the columnar
    # copy: an index of their own cost the SQLite import of the full register 1.6-2.3 s to build.
    commune = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+", db_index=False)
    village = models.ForeignKey("geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                db_index=False)
    address = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RESIDENT)
    status_date = models.DateField(null=True, blank=True)
    # False once a newer extract of the same scope no longer lists the person: never deleted.
    present = models.BooleanField(default=True)
    # A correction accepted from the field (campaign.FieldReview): moved_away, deceased, never_lived_here,
    # from the date of the visit. Imports never touch it; coverage stops counting the resident from then.
    field_status = models.CharField(max_length=20, null=True, blank=True)  # null: as the register says
    field_status_date = models.DateField(null=True, blank=True)
    flags = models.CharField(max_length=200, blank=True)  # comma-separated data-quality flags
    # The values received for the fields loaded empty for a defect (flag invalid_<field>), as JSON
    # ({"date_of_birth": "29/02/1990"}); null for a resident without one. A card keeps them in `raw`.
    received = models.TextField(null=True, blank=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+", db_index=False)  # last seen in
    # Hash of the fields as last imported: a newer extract stages only the records whose hash differs.
    row_hash = models.BigIntegerField(null=True, blank=True)

    class Meta:
        # Plain indexes and constraints, not db_index/unique: on PostgreSQL those add a second
        # (LIKE) index per text column, which every bulk import would build for nothing.
        # (commune, status, present) answers the per-commune counts (communes page, stats) from the
        # index alone: with a table look-up per resident they took seconds on a province.
        indexes = [models.Index(fields=["commune", "status", "present"]), models.Index(fields=["personal_id"])]
        constraints = [models.UniqueConstraint(fields=["record_key"], name="registry_person_record_key_uniq")]

    def __str__(self):
        return self.full_name


class PersonHistory(models.Model):
    """A state a resident had until an extract changed it (status, place, household, presence).

    The current state is on Person; `batch`/`as_of` name the extract that superseded this one.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="history")
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+", db_index=False)
    as_of = models.DateField()
    status = models.CharField(max_length=12)
    status_date = models.DateField(null=True, blank=True)
    present = models.BooleanField()
    commune_id_at = models.BigIntegerField()
    village_id_at = models.BigIntegerField(null=True)
    household_id_at = models.BigIntegerField(null=True)


class Card(models.Model):
    """A health-insurance card period as received from the participant register."""

    # (card number or SI code) | valid_from (pipeline.cards): a renewal is a new row, history is kept.
    record_key = CodeField(max_length=60)  # unique: see Meta
    card_number = CodeField(max_length=15, blank=True)
    si_code = CodeField(max_length=10, blank=True)
    personal_id = CodeField(max_length=12, blank=True)
    full_name = models.CharField(max_length=200)
    name_key = models.CharField(max_length=200)
    dob = models.DateField(null=True, blank=True)
    dob_year = models.SmallIntegerField(null=True, blank=True)
    dob_month = models.SmallIntegerField(null=True, blank=True)
    dob_day = models.SmallIntegerField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    group_code = models.CharField(max_length=2, blank=True)
    payer_group = models.CharField(max_length=20, blank=True)
    benefit_level = models.SmallIntegerField(null=True, blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField()
    commune = models.ForeignKey("geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                db_index=False)  # indexed in Meta, like Person's
    address = models.CharField(max_length=300, blank=True)
    clinic_code = models.CharField(max_length=20, blank=True)
    present = models.BooleanField(default=True)
    flags = models.CharField(max_length=200, blank=True)
    raw = models.TextField(blank=True)  # the fields as received, JSON
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="+", db_index=False)
    row_hash = models.BigIntegerField(null=True, blank=True)  # as on Person

    class Meta:
        # The commune index differs by database, so migration registry/0011 makes it, outside this list.
        # Nothing asks for validity in SQL (coverage reads the columnar copy), and a (commune,
        # valid_from, valid_to) index cost an import of the full register 14 s more to build. A card
        # number is looked up through the unique record key, which starts with it
        # (pipeline.cards.record_key_range).
        indexes = [models.Index(fields=["si_code"]),
                   models.Index(fields=["personal_id"])]  # see Person.Meta
        constraints = [models.UniqueConstraint(fields=["record_key"], name="registry_card_record_key_uniq")]

    def __str__(self):
        return self.card_number or self.si_code
