"""Sign-in throttling (django-axes) for sign-ins made over the network."""

from axes.backends import AxesStandaloneBackend


class SignInThrottle(AxesStandaloneBackend):
    """Axes' check, for requests only: a sign-in without a request (a script, the test client) is not a
    form reached over the network, and axes would refuse it; the next backend then checks the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
