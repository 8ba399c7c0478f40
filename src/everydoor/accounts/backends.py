"""Sign-in throttling (django-axes) for sign-ins made over the network, and the signed-in user read with
what every page needs of their profile."""

import functools

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from everydoor.accounts.models import Profile
from everydoor.campaign.models import AgencyUnit
from everydoor.core.rows import columns, fetch_joined
from everydoor.geo.models import AdminUnit


@functools.cache
def _user_sql() -> tuple[tuple, str]:
    """The user, their profile, its area, its agency unit and the unit's province: one written-out join
    (every page reads it; the ORM's select_related of four tables cost a third of a cached page's time)."""
    user = get_user_model()
    models = (user, Profile, AdminUnit, AgencyUnit, AdminUnit)
    table = {m: m._meta.db_table for m in models}
    sql = (f"SELECT {columns(user, alias='u')}, {columns(Profile, alias='p')}, {columns(AdminUnit, alias='a')}, "
           f"{columns(AgencyUnit, alias='g')}, {columns(AdminUnit, alias='gp')} FROM {table[user]} u "
           f"LEFT JOIN {table[Profile]} p ON p.user_id = u.id LEFT JOIN {table[AdminUnit]} a ON a.id = p.area_id "
           f"LEFT JOIN {table[AgencyUnit]} g ON g.id = p.agency_unit_id "
           f"LEFT JOIN {table[AdminUnit]} gp ON gp.id = g.province_id WHERE u.id = %s")
    return models, sql


def user_with_profile(user_id):
    """The user with their profile and its places attached, as select_related would attach them (reading
    user.profile.area or .agency_unit.province makes no query); None when there is no such user."""
    models, sql = _user_sql()
    found = fetch_joined(models, sql, [user_id])
    if found is None:
        return None
    user, profile, area, unit, province = found
    link = Profile._meta.get_field("user")
    link.remote_field.set_cached_value(user, profile)  # None: user.profile raises DoesNotExist, no query
    if profile is not None:
        link.set_cached_value(profile, user)
        Profile._meta.get_field("area").set_cached_value(profile, area)
        Profile._meta.get_field("agency_unit").set_cached_value(profile, unit)
        if unit is not None:
            AgencyUnit._meta.get_field("province").set_cached_value(unit, province)
    return user


class _WithProfile:
    def get_user(self, user_id):
        user = user_with_profile(user_id)
        return user if user is not None and user.is_active else None  # as ModelBackend: inactive is signed out


class SignInThrottle(_WithProfile, AxesStandaloneBackend):
    """Axes' check, for requests only: a sign-in without a request (a script, the test client) is not a
    form reached over the network, and axes would refuse it; the next backend then checks the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class Accounts(_WithProfile, ModelBackend):
    """Django's user-name-and-password check."""
