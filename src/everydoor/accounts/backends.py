"""Sign-in throttling (django-axes) for sign-ins made over the network, and the signed-in user read with
what every page needs of their profile."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

# the profile and its places: each page's scope reads them (three queries fewer per page)
_PROFILE = ("profile__area", "profile__agency_unit__province")


class _WithProfile:
    def get_user(self, user_id):
        user = get_user_model()._default_manager.select_related(*_PROFILE).filter(pk=user_id).first()
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
