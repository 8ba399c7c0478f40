"""Reads of the campaign domain: which villages an officer works, and who works a village."""

import datetime as dt

from django.db.models import Q, QuerySet

from everydoor.campaign.models import OfficerAssignment
from everydoor.geo.models import AdminUnit


def _current(on: dt.date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def officer_villages(officer, *, on: dt.date) -> QuerySet[AdminUnit]:
    """The villages assigned to an officer on a date."""
    villages = OfficerAssignment.objects.filter(_current(on), officer=officer).values("village_id")
    return AdminUnit.objects.filter(id__in=villages)


def village_officers(village: AdminUnit, *, on: dt.date) -> list[int]:
    """Ids of the officers assigned to a village on a date."""
    return list(OfficerAssignment.objects.filter(_current(on), village=village)
                .order_by("officer_id").values_list("officer_id", flat=True).distinct())
