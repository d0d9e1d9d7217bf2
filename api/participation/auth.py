"""Token authentication of staff (``Authorization: Bearer <token>``) with roles.

Tokens are created by ``geoquartier users add NAME --role moderator|planner|jury``; the store
keeps only their SHA-256 and compares in constant time. A missing or unknown token is
refused with 401, a valid token without the needed role with 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import ParticipationStoreDep
from api.errors import api_error
from api.participation.store import User

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="staffToken",
    description="token from 'geoquartier users add NAME --role ...'",
)

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def current_user(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    store: ParticipationStoreDep,
) -> User:
    """The staff user of the request's bearer token (401 when missing or wrong)."""
    if credentials is None or not credentials.credentials:
        raise api_error(
            401,
            "this endpoint needs a staff token: send 'Authorization: Bearer <token>'",
            headers=_CHALLENGE,
        )
    user = store.authenticate(credentials.credentials)
    if user is None:
        raise api_error(401, "the token is not valid", headers=_CHALLENGE)
    return user


def require_role(*roles: str):
    """A dependency returning the current user if they hold one of ``roles`` (else 403)."""

    def _check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise api_error(
                403, f"the role {user.role!r} may not do this; needed: {' or '.join(roles)}"
            )
        return user

    return _check


moderator = require_role("moderator")
"""Dependency: a moderator (reviews annotations)."""

planner = require_role("planner")
"""Dependency: a planner (creates events)."""

staff = require_role("moderator", "planner")
"""Dependency: any staff account (event documentation)."""
