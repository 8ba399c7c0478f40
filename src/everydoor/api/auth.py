"""Authentication shared by the API's routers: the Django session (CSRF-checked), or a signed bearer token.

`Authorization: Bearer <token>` is for software of its own (a clinic's system, the officer's phone): a
token signed with the server's SECRET_KEY (`issue_api_token(user)`), valid 90 days, no table needed;
deactivating the user or rotating SECRET_KEY revokes it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core import signing
from ninja.security import HttpBearer, django_auth

from everydoor.core.rows import columns, fetch_instance

TOKEN_SALT = "everydoor.api.token"
TOKEN_MAX_AGE_S = 90 * 24 * 3600


def issue_api_token(user) -> str:
    return signing.dumps({"u": user.pk}, salt=TOKEN_SALT)


def _active_user(pk):
    """The user of a token, if still active. Written out: on every API call (a phone posting its visits)
    the ORM compiling this query cost more than the database answering it."""
    if not isinstance(pk, int):
        return None
    user_model = get_user_model()
    meta = user_model._meta
    found = fetch_instance(user_model, f"SELECT {columns(user_model)} FROM {meta.db_table}"
                                       f" WHERE {meta.pk.column} = %s AND {meta.get_field('is_active').column}", [pk])
    return found[0] if found else None


class SignedBearer(HttpBearer):
    def authenticate(self, request, token):
        try:
            payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE_S)
        except signing.BadSignature:
            return None
        user = _active_user(payload.get("u"))
        if user is not None:
            request.user = user
        return user


def user_auth() -> list:
    """Either way of signing in, for a route's `auth=`."""
    return [SignedBearer(), django_auth]
