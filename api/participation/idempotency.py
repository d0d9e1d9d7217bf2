"""``Idempotency-Key`` on submissions: a retried request is stored once.

A resident's phone on a weak connection may lose the answer to a submission that the
server has stored; sending the same request again with the same ``Idempotency-Key``
header (any text of 1 to 255 visible ASCII characters, e.g. a UUID made when the form was
opened) returns the first answer — the same id, status 201 and the header
``Idempotent-Replayed: true`` — instead of storing it twice. The same key with a different
request is refused (422). Keys are kept for 24 hours, hashed together with the endpoint;
nothing about the client is stored (see :mod:`api.participation.store`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any

from fastapi import Header
from pydantic import BaseModel

from api.errors import api_error
from api.participation.store import Idempotency

_KEY = re.compile(r"[!-~]{1,255}")
"""1 to 255 visible ASCII characters (no spaces)."""

REPLAYED_HEADER = "Idempotent-Replayed"
"""Set to ``true`` on an answer that repeats the first answer to the same key."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        description="any unique text (e.g. a UUID): a retry with the same key and body "
        "returns the first answer instead of storing the submission twice (24 h)",
    ),
]
"""The optional ``Idempotency-Key`` request header of a submission route."""


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def idempotency(
    key: str | None, endpoint: str, body: BaseModel, **context: Any
) -> Idempotency | None:
    """The hashed key and request of a submission to ``endpoint`` (``None`` without key).

    The request is the validated ``body`` (so that a retry with other whitespace or key
    order in its JSON counts as the same) plus ``context`` (path parameters, the account).
    """
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise api_error(
            422,
            "header 'Idempotency-Key': expected 1 to 255 visible ASCII characters without "
            "spaces, e.g. a UUID",
        )
    request = {"body": body.model_dump(mode="json"), **context}
    return Idempotency(
        key_sha256=_sha256(f"{endpoint}\n{key}"),
        request_sha256=_sha256(json.dumps(request, sort_keys=True, ensure_ascii=False)),
    )


def replay_headers(replayed: bool) -> dict[str, str]:
    """``{Idempotent-Replayed: true}`` for a repeated answer, else nothing."""
    return {REPLAYED_HEADER: "true"} if replayed else {}
