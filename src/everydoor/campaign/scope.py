"""Who may see which part of the campaign: the one scoping rule the API and the pages call.

Province users see their province, unit managers their agency unit (its communes, villages and
officers), commune chairmen their commune, officers themselves; anyone else nothing.
"""

from everydoor.accounts.models import Role
from everydoor.campaign.models import AgencyUnit
from everydoor.geo.models import AdminUnit


def default_subject(user) -> dict | None:
    """What a user sees when they name nothing: their own part of the campaign."""
    profile = getattr(user, "profile", None)
    role = getattr(profile, "role", None)
    if role == Role.OFFICER:
        return {"officer": user}
    if role == Role.UNIT_MANAGER and profile.agency_unit_id:
        return {"area": profile.agency_unit}
    if role in (Role.PROVINCE, Role.COMMUNE_CHAIR) and profile.area_id:
        return {"area": profile.area}
    return None


def subject_visible(user, *, area=None, officer=None) -> bool:
    """May this user see this area's, agency unit's or officer's targets and progress?"""
    profile = getattr(user, "profile", None)
    role = getattr(profile, "role", None)
    if role == Role.OFFICER:
        return officer is not None and officer.pk == user.pk
    if role == Role.UNIT_MANAGER and profile.agency_unit_id:
        unit = profile.agency_unit
        if officer is not None:
            officer_profile = getattr(officer, "profile", None)
            return getattr(officer_profile, "agency_unit_id", None) == unit.pk
        if isinstance(area, AgencyUnit):
            return area.pk == unit.pk
        commune = area if area.level == AdminUnit.Level.COMMUNE else area.parent if area.level == "village" else None
        return commune is not None and unit.communes.filter(pk=commune.pk).exists()
    if role == Role.PROVINCE and profile.area_id:
        if officer is not None:
            officer_profile = getattr(officer, "profile", None)
            return getattr(officer_profile, "area_id", None) == profile.area_id
        if isinstance(area, AgencyUnit):
            return area.province_id == profile.area_id
        return area.province_code == profile.area.province_code
    if role == Role.COMMUNE_CHAIR and profile.area_id and area is not None and not isinstance(area, AgencyUnit):
        return area.pk == profile.area_id or area.parent_id == profile.area_id
    return False
