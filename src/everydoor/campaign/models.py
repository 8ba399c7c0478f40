"""The campaign: agency units, officers' villages, targets, visits and field review.

Targets form one tree per campaign (province -> agency unit -> commune -> village -> officer);
visits are idempotent on the client's UUID; field corrections never delete a resident, an
accepted one marks it (registry.Person.field_status).
"""

from django.conf import settings
from django.db import models


class AgencyUnit(models.Model):
    """A social insurance office, e.g. the one serving Bảo Thắng, Gia Phú, Tằng Loỏng, Xuân Quang."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    province = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    communes = models.ManyToManyField("geo.AdminUnit", related_name="agency_units")

    def __str__(self):
        return self.name


class OfficerAssignment(models.Model):
    """An officer works a village from one date to another: past visits keep the officer they had."""

    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    village = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)  # inclusive; None = still assigned

    class Meta:
        indexes = [models.Index(fields=["village", "valid_from"]), models.Index(fields=["officer", "valid_from"])]

    def __str__(self):
        return f"{self.officer_id} -> {self.village_id} from {self.valid_from}"


class Campaign(models.Model):
    """A goal for an area by a date, set by a decision; its targets are allocated down the tree."""

    area = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    goal_rate = models.DecimalField(max_digits=6, decimal_places=4)  # 0.9650 = 96.5% of residents
    due = models.DateField()
    decision = models.CharField(max_length=100, blank=True)  # e.g. "462/QĐ-BHXH"
    baseline_date = models.DateField()  # the coverage facts the cards still needed were computed on
    baseline_cards = models.IntegerField()
    baseline_residents = models.IntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "due"], name="campaign_area_due")]

    def __str__(self):
        return f"{self.area} {self.goal_rate} by {self.due}"


class Target(models.Model):
    """Cards to gain by the campaign's due date for one node of the tree; children add up to it."""

    class Level(models.TextChoices):
        PROVINCE = "province"
        AGENCY_UNIT = "agency_unit"
        COMMUNE = "commune"
        VILLAGE = "village"
        OFFICER = "officer"  # an officer's share of one village

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    level = models.CharField(max_length=12, choices=Level.choices)
    area = models.ForeignKey("geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency_unit = models.ForeignKey(AgencyUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="targets")
    value = models.IntegerField()  # cards to gain
    uninsured = models.IntegerField(default=0)  # residents without a valid card at allocation
    weight = models.FloatField(default=0)  # what the parent's value was spread by
    baseline_cards = models.IntegerField(default=0)  # valid cards on the campaign's baseline date
    locked = models.BooleanField(default=False)  # kept by re-allocation
    set_by = models.CharField(max_length=150)
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["campaign", "level"]), models.Index(fields=["officer"])]

    def __str__(self):
        return f"{self.level} {self.area_id or self.agency_unit_id} {self.value}"


class Visit(models.Model):
    """One knock on a household's door, as the officer recorded it (web, phone, API or paper list)."""

    class Outcome(models.TextChoices):
        ENROLLED = "enrolled"
        PROMISED = "promised"
        REFUSED = "refused"
        NOT_AT_HOME = "not_at_home"
        MOVED_AWAY = "moved_away"
        DECEASED = "deceased"
        NEVER_LIVED_HERE = "never_lived_here"
        INSURED_ELSEWHERE = "insured_elsewhere"
        WRONG_DATA = "wrong_data"

    class Reason(models.TextChoices):
        COST = "cost"
        NO_BENEFIT = "no_benefit"
        DISTRUST = "distrust"
        OTHER = "other"

    uuid = models.UUIDField(unique=True)  # made by the client: a retried post finds the first visit
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="visits")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    visited_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.CharField(max_length=12, choices=Reason.choices, blank=True)
    card_number = models.CharField(max_length=15, blank=True)  # when already insured elsewhere
    note = models.TextField(blank=True)
    phone = models.CharField(max_length=20, blank=True)  # the household's, when given at the door
    follow_up = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)  # of the posted content: a re-send that differs is a 409
    source = models.CharField(max_length=10, default="api")  # api, web, import, demo
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["household", "visited_at"]), models.Index(fields=["officer", "visited_at"]),
                   models.Index(fields=["follow_up"])]

    def __str__(self):
        return f"visit {self.uuid} {self.outcome}"


class VisitMember(models.Model):
    """A resident a visit concerns; an enrolment is confirmed when the card appears in a later import."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    confirmed_card = models.ForeignKey("registry.Card", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", db_index=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "person"], name="visit_member_unique")]
        indexes = [models.Index(fields=["person"])]


class FieldReview(models.Model):
    """A resident the officer did not find (moved away, deceased, never lived here), for the manager."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REJECTED = "rejected"

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="reviews")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)  # a Visit.Outcome: moved_away, deceased, never_lived_here
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "person"], name="field_review_unique")]
        indexes = [models.Index(fields=["status"])]
