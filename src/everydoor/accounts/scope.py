"""Who may see what: one scope per user, and one scoping selector per model.

Every queryset that reaches a page, a download or the API goes through a selector here, so the
rule lives in one place:

- province (leadership, data office): its province;
- unit manager: the communes its agency unit serves (else the communes of its area);
- commune chairman: its commune;
- officer: the villages assigned to it today (and, for aggregates, the communes they are in);
- clinic desk: nothing here; card look-ups only (api.eligibility).

An object outside the scope is NOT_FOUND, with the same words as an object that does not exist:
a 404 that never hints that it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

from everydoor.accounts.models import AuditEvent, Role
from everydoor.campaign.models import AgencyUnit, Target
from everydoor.core.errors import ErrorCode, EverydoorError
from everydoor.core.rows import columns, fetch_joined
from everydoor.geo.models import AdminUnit
from everydoor.linkage.models import ReviewItem
from everydoor.registry.models import Card, Household, ImportBatch, Person, QuarantineRow

NOT_FOUND = "Not found"
# Roles that see whole personal IDs in lists: the data office reconciles registers, unit managers review
# links and follow their officers' households. Commune chairmen read figures; officers see a household's
# IDs on its own page (audited), not in lists.
ID_ROLES = (Role.PROVINCE, Role.UNIT_MANAGER)
# Roles that read area pages (dashboards, drill-down); the clinic desk only looks cards up.
AREA_ROLES = (Role.PROVINCE, Role.UNIT_MANAGER, Role.COMMUNE_CHAIR, Role.OFFICER)
MANAGER_ROLES = (Role.PROVINCE, Role.UNIT_MANAGER)


@dataclass(frozen=True)
class Scope:
    user: object
    role: str
    area: AdminUnit | None  # the profile's area: a province, commune or village
    agency_unit: AgencyUnit | None
    province_code: str
    commune_ids: frozenset[int]  # communes whose figures the user reads
    village_ids: frozenset[int] | None  # officers: the only villages whose households they see; None = all

    @property
    def is_province(self) -> bool:
        return self.role == Role.PROVINCE

    @property
    def is_admin(self) -> bool:
        """The provincial administrator: reads the audit trail."""
        return self.role == Role.PROVINCE and bool(getattr(self.user, "is_staff", False))

    @property
    def reads_areas(self) -> bool:
        return self.role in AREA_ROLES

    @property
    def manages(self) -> bool:
        return self.role in MANAGER_ROLES

    @property
    def sees_ids(self) -> bool:
        return self.role in ID_ROLES


def not_found() -> EverydoorError:
    return EverydoorError(ErrorCode.NOT_FOUND, NOT_FOUND)


def scope_for(user) -> Scope:
    """The scope of a signed-in user; a user without a role and area is FORBIDDEN everywhere."""
    profile = getattr(user, "profile", None)
    if profile is None or (profile.area_id is None and profile.agency_unit_id is None):
        raise EverydoorError(ErrorCode.FORBIDDEN, "this account has no area assigned")
    area, unit, role = profile.area, profile.agency_unit, profile.role
    province_code = area.province_code if area else unit.province.province_code
    village_ids = None
    if role == Role.CLINIC:
        communes: frozenset[int] = frozenset()
    elif role == Role.OFFICER:
        from everydoor.campaign.selectors import officer_villages
        from everydoor.core.dates import today

        villages = list(officer_villages(user, on=today()).values_list("id", "parent_id"))
        village_ids = frozenset(v for v, _ in villages)
        communes = frozenset(c for _, c in villages)
    elif role == Role.UNIT_MANAGER and unit is not None:
        communes = frozenset(unit.communes.values_list("id", flat=True))
    elif area.level == AdminUnit.Level.PROVINCE:  # province users (and a manager without a unit)
        with connection.cursor() as cursor:  # on every page of theirs: written out, the ORM's compiling cost more
            cursor.execute("SELECT id FROM geo_adminunit WHERE level = %s AND province_code = %s",
                           [AdminUnit.Level.COMMUNE.value, province_code])
            communes = frozenset(row[0] for row in cursor.fetchall())
    elif area.level == AdminUnit.Level.COMMUNE:
        communes = frozenset({area.id})
    else:  # a village
        communes, village_ids = frozenset({area.parent_id}), frozenset({area.id})
    return Scope(user=user, role=role, area=area, agency_unit=unit, province_code=province_code,
                 commune_ids=communes, village_ids=village_ids)


# --- places ---------------------------------------------------------------------------------------------

def communes(scope: Scope) -> QuerySet[AdminUnit]:
    return AdminUnit.objects.filter(level=AdminUnit.Level.COMMUNE, id__in=scope.commune_ids)


def villages(scope: Scope) -> QuerySet[AdminUnit]:
    units = AdminUnit.objects.filter(level=AdminUnit.Level.VILLAGE, parent_id__in=scope.commune_ids)
    return units if scope.village_ids is None else units.filter(id__in=scope.village_ids)


def agency_units(scope: Scope) -> QuerySet[AgencyUnit]:
    """Agency units whose figures the user reads: the province's for province users, else its own."""
    if scope.is_province:
        return AgencyUnit.objects.filter(province__province_code=scope.province_code)
    if scope.role == Role.UNIT_MANAGER and scope.agency_unit is not None:
        return AgencyUnit.objects.filter(pk=scope.agency_unit.pk)
    return AgencyUnit.objects.none()


def area_get(scope: Scope, code: str) -> AdminUnit:
    """The province, commune or village with this code, if the user may read it; else NOT_FOUND."""
    if not scope.reads_areas:
        raise not_found()
    found = fetch_joined((AdminUnit, AdminUnit), f"SELECT {columns(AdminUnit, alias='u')}, "
                         f"{columns(AdminUnit, alias='p')} FROM geo_adminunit u "
                         f"LEFT JOIN geo_adminunit p ON p.id = u.parent_id WHERE u.code = %s", [code])
    if found is None:
        raise not_found()
    unit, parent = found
    AdminUnit._meta.get_field("parent").set_cached_value(unit, parent)  # as select_related("parent")
    if unit.level == AdminUnit.Level.PROVINCE:
        visible = scope.is_province and unit.province_code == scope.province_code
    elif unit.level == AdminUnit.Level.COMMUNE:
        visible = unit.id in scope.commune_ids
    else:
        visible = unit.parent_id in scope.commune_ids and (scope.village_ids is None or unit.id in scope.village_ids)
    if not visible:
        raise not_found()
    return unit


def agency_unit_get(scope: Scope, code: str) -> AgencyUnit:
    unit = agency_units(scope).filter(code=code).select_related("province").first()
    if unit is None:
        raise not_found()
    return unit


def home_area(scope: Scope) -> AdminUnit | AgencyUnit | None:
    """Where the user's pages start: the province, the agency unit, the commune, or the officer's village."""
    if scope.role == Role.UNIT_MANAGER and scope.agency_unit is not None:
        return scope.agency_unit
    if scope.role == Role.OFFICER:
        return villages(scope).order_by("name").first()
    return scope.area if scope.reads_areas else None


# --- the campaign ---------------------------------------------------------------------------------------

def campaign_subject(scope: Scope) -> dict | None:
    """The part of the campaign a user sees when they name nothing: the province's, the agency unit's,
    the commune's, or the officer's own (keyword arguments of the campaign's selectors)."""
    if scope.role == Role.OFFICER:
        return {"officer": scope.user}
    if scope.role == Role.UNIT_MANAGER and scope.agency_unit is not None:
        return {"area": scope.agency_unit}
    if scope.role in (Role.PROVINCE, Role.COMMUNE_CHAIR) and scope.area is not None:
        return {"area": scope.area}
    return None


def subject_visible(scope: Scope, *, area=None, officer=None) -> bool:
    """May this user see this area's, agency unit's or officer's targets and progress?"""
    if scope.role == Role.OFFICER:
        return officer is not None and officer.pk == scope.user.pk
    if scope.role == Role.UNIT_MANAGER and scope.agency_unit is not None:
        if officer is not None:
            return getattr(getattr(officer, "profile", None), "agency_unit_id", None) == scope.agency_unit.pk
        if isinstance(area, AgencyUnit):
            return area.pk == scope.agency_unit.pk
        commune = (area.pk if area.level == AdminUnit.Level.COMMUNE
                   else area.parent_id if area.level == AdminUnit.Level.VILLAGE else None)
        return commune in scope.commune_ids
    if scope.role == Role.PROVINCE and scope.area is not None:
        if officer is not None:
            return getattr(getattr(officer, "profile", None), "area_id", None) == scope.area.pk
        if isinstance(area, AgencyUnit):
            return area.province_id == scope.area.pk
        return area.province_code == scope.area.province_code
    if scope.role == Role.COMMUNE_CHAIR and scope.area is not None and area is not None \
            and not isinstance(area, AgencyUnit):
        return scope.area.pk in (area.pk, area.parent_id)
    return False


def campaign_subject_get(scope: Scope, *, area_code: str = "", unit_code: str = "", username: str = "") -> dict:
    """The area, agency unit or officer named in a page's URL, if the user may see its targets and
    progress; else NOT_FOUND (an officer is named by username, an area or agency unit by code)."""
    from django.contrib.auth import get_user_model

    if username:
        officer = get_user_model().objects.filter(username=username).select_related("profile").first()
        subject = {"officer": officer} if officer is not None else None
    elif unit_code:
        unit = AgencyUnit.objects.filter(code=unit_code).select_related("province").first()
        subject = {"area": unit} if unit is not None else None
    else:
        area = AdminUnit.objects.filter(code=area_code).select_related("parent").first()
        subject = {"area": area} if area is not None else None
    if subject is None or not subject_visible(scope, **subject):
        raise not_found()
    return subject


def targets_managed(scope: Scope) -> QuerySet[Target]:
    """Targets the user may set, lock and unlock: the whole tree of the province's campaigns for province
    users; the communes, villages and officers of its agency unit for a unit manager (not the unit's own
    target, whose change would move the other units'); nobody else's."""
    if scope.is_province:
        return Target.objects.filter(campaign__area__province_code=scope.province_code)
    if scope.role == Role.UNIT_MANAGER and scope.agency_unit is not None:
        ids = list(scope.commune_ids)
        return Target.objects.filter(Q(level=Target.Level.COMMUNE, area_id__in=ids)
                                     | Q(level__in=(Target.Level.VILLAGE, Target.Level.OFFICER),
                                         area__parent_id__in=ids))
    return Target.objects.none()


# --- registers ------------------------------------------------------------------------------------------

def households(scope: Scope) -> QuerySet[Household]:
    found = Household.objects.filter(commune_id__in=scope.commune_ids)
    return found if scope.village_ids is None else found.filter(village_id__in=scope.village_ids)


def household_get(scope: Scope, household_id: int) -> Household:
    if not scope.reads_areas:
        raise not_found()
    found = households(scope).filter(pk=household_id).select_related("commune", "village").first()
    if found is None:
        raise not_found()
    return found


def persons(scope: Scope) -> QuerySet[Person]:
    found = Person.objects.filter(commune_id__in=scope.commune_ids)
    return found if scope.village_ids is None else found.filter(household__village_id__in=scope.village_ids)


def cards(scope: Scope) -> QuerySet[Card]:
    """Cards placed in the user's communes, or linked to a resident the user may see."""
    if scope.village_ids is not None:
        return Card.objects.filter(link__person__in=persons(scope).values("id"))
    return Card.objects.filter(Q(commune_id__in=scope.commune_ids) | Q(link__person__commune_id__in=scope.commune_ids))


def import_batches(scope: Scope) -> QuerySet[ImportBatch]:
    """Imports are the data office's: province users see those of their province's communes (a batch's
    scope lists the communes its extract covers; one without, e.g. the units, concerns everyone)."""
    if not scope.is_province:
        return ImportBatch.objects.none()
    mine = [b.id for b in ImportBatch.objects.only("id", "scope") if not b.scope or set(b.scope) & scope.commune_ids]
    return ImportBatch.objects.filter(id__in=mine)


def quarantine_rows(scope: Scope, batch_id: int) -> QuerySet[QuarantineRow]:
    if not import_batches(scope).filter(pk=batch_id).exists():
        raise not_found()
    return QuarantineRow.objects.filter(batch_id=batch_id).order_by("row_number", "field")


def review_items(scope: Scope) -> QuerySet[ReviewItem]:
    """Pairs whose card or resident is in the user's communes (reviewers only)."""
    if not scope.manages:
        return ReviewItem.objects.none()
    ids = list(scope.commune_ids)
    return ReviewItem.objects.filter(Q(card__commune_id__in=ids) | Q(person__commune_id__in=ids))


def audit_events(scope: Scope) -> QuerySet[AuditEvent]:
    """The audit trail, for the provincial administrator: events in the province, or of no area."""
    if not scope.is_admin:
        return AuditEvent.objects.none()
    codes = AdminUnit.objects.filter(province_code=scope.province_code).values("code")
    units = AgencyUnit.objects.filter(province__province_code=scope.province_code).values("code")
    return AuditEvent.objects.filter(Q(area_code="") | Q(area_code__in=codes) | Q(area_code__in=units))
