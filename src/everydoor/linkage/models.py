"""Card <-> resident links, the trained models that made them, and the review queue."""

from django.conf import settings
from django.db import models


class LinkModel(models.Model):
    """A trained Splink model, versioned: every probabilistic link names the version."""

    version = models.IntegerField(unique=True)
    settings_json = models.TextField()
    lower_threshold = models.FloatField()  # below: no link
    upper_threshold = models.FloatField()  # above: link; between: review
    trained_at = models.DateTimeField(auto_now_add=True)
    trained_on = models.JSONField(default=dict)  # counts of records and pairs

    def __str__(self):
        return f"link model v{self.version}"


class Link(models.Model):
    class Method(models.TextChoices):
        PERSONAL_ID = "personal_id"
        PROBABILISTIC = "probabilistic"
        MANUAL = "manual"
        FIELD_VERIFIED = "field_verified"  # a card number an officer saw at the door (campaign.visits)

    card = models.OneToOneField("registry.Card", on_delete=models.CASCADE, related_name="link")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="links")
    method = models.CharField(max_length=20, choices=Method.choices)
    match_probability = models.FloatField(null=True, blank=True)
    model = models.ForeignKey(LinkModel, null=True, blank=True, on_delete=models.PROTECT, db_index=False)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 db_index=False)
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Most links (by personal ID) have no model and no reviewer: indexing only the others keeps
        # each index a few percent of the table, where full ones cost a first run 7 s to build.
        indexes = [models.Index(fields=["model"], condition=models.Q(model__isnull=False), name="link_model_idx"),
                   models.Index(fields=["reviewer"], condition=models.Q(reviewer__isnull=False),
                                name="link_reviewer_idx")]

    def __str__(self):
        return f"card {self.card_id} -> resident {self.person_id} ({self.method})"


class ReviewItem(models.Model):
    """A candidate pair between the thresholds; a reviewer's decision is final for later runs."""

    class Decision(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    card = models.ForeignKey("registry.Card", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    match_probability = models.FloatField()
    model = models.ForeignKey(LinkModel, null=True, on_delete=models.PROTECT)
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["card", "person"], name="review_card_person")]

    def __str__(self):
        return f"review {self.id}: card {self.card_id} / resident {self.person_id} ({self.decision})"


class LinkRun(models.Model):
    """One reconciliation run: what it saw (to skip an unchanged re-run) and what it did."""

    started_at = models.DateTimeField(auto_now_add=True)
    duration_s = models.FloatField(null=True, blank=True)
    engine = models.CharField(max_length=10, default="duckdb")
    model = models.ForeignKey(LinkModel, null=True, blank=True, on_delete=models.PROTECT)
    # counts and max ids of the registers, links and decisions when the run started
    fingerprint = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)  # the run's result, as printed by `everydoor link --json`

    def __str__(self):
        return f"link run {self.id}"


class Duplicate(models.Model):
    """A duplicate found by a run: reported for a person to resolve, never merged."""

    class Kind(models.TextChoices):
        CARDS_ONE_RESIDENT = "cards_one_resident"  # two valid cards for one resident
        CARD_TWO_RESIDENTS = "card_two_residents"  # one card claimed by two residents
        RESIDENTS = "residents"  # one resident twice in the population register

    run = models.ForeignKey(LinkRun, on_delete=models.CASCADE, related_name="duplicates")
    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    card = models.ForeignKey("registry.Card", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    other_card = models.ForeignKey("registry.Card", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    other_person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="+")
    match_probability = models.FloatField(null=True, blank=True)

    def __str__(self):
        return f"{self.kind}: cards {self.card_id}/{self.other_card_id}, residents {self.person_id}/{self.other_person_id}"
