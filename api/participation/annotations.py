"""Routes of annotations: residents submit, the public reads approved ones, moderators decide.

* ``POST /quartiers/{quartier}/annotations`` — anyone; validated, size- and rate-limited,
  stored as ``pending``; answers 201 with the id. An ``Idempotency-Key`` header makes a
  retry return the first answer (:mod:`api.participation.idempotency`).
* ``GET /quartiers/{quartier}/annotations`` — approved annotations only (GeoJSON).
* ``GET /moderation/annotations?status=pending`` — the review queue (moderators).
* ``POST /moderation/annotations/{id}/approve`` (optional ``text``: the redacted public
  text) and ``.../reject`` (reason required); with ``expected_status`` (the state the
  moderator saw) a contribution decided meanwhile by someone else answers 409.
* ``GET /moderation/annotations/{id}/decisions`` — who decided what, when.

Geometries are GeoJSON in EPSG:4326 (longitude, latitude in degrees).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.deps import AnnotationId, ParticipationStoreDep, RegistryDep, SettingsDep
from api.errors import answer_errors, api_error, error_response, max_body_size
from api.geojson import annotation_feature, feature_collection
from api.participation import auth, feedback, paper
from api.participation.feedback import feature_as_submission
from api.participation.idempotency import IdempotencyKey, idempotency, replay_headers
from api.participation.ratelimit import RateLimiter, SharedRateLimiter
from api.participation.settings import KINDS, STATUSES, BodyText, Limits, LimitsDep
from api.participation.store import (
    DecisionConflict,
    IdempotencyConflict,
    NotFound,
    ParticipationStore,
    User,
)
from api.participation.validation import (
    QuartierArea,
    SubmissionError,
    area_or_404,
    check_geometry,
    check_kind,
    check_language,
    check_text,
)
from api.security import client_address
from geoquartier.errors import GeoquartierError
from geoquartier.settings import Settings


def submission_error(
    status: int,
    detail: str,
    code: str,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A refused submission: ``{"detail", "status", "code", "params"}`` — the English
    ``detail`` as before, plus a code from
    :data:`api.participation.validation.ERROR_CODES` and its parameters for the page."""
    return error_response(status, detail, headers=headers, code=code, params=params or {})


_STATUS_CODES = {404: "unknown_quartier", 413: "body_too_large", 429: "too_many_submissions"}


class SubmissionRoute(APIRoute):
    """A route whose refusals by FastAPI itself (request validation 422, a body over the
    route's limit 413) carry a ``code`` and ``params`` like the submission checks."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def coded(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return await _coded_validation_error(request, exc)
            except HTTPException as exc:
                code = _STATUS_CODES.get(exc.status_code)
                if code is None or not isinstance(exc.detail, str):
                    raise
                return submission_error(exc.status_code, exc.detail, code, headers=exc.headers)

        return coded


_FIELD_CODES = {"geometry": "invalid_geometry", "text": "text_empty", "kind": "unknown_kind"}


async def _coded_validation_error(request: Request, exc: RequestValidationError) -> Response:
    """The app's usual 422 answer (with ``errors``), plus the code of the first bad field."""
    import json

    from api import errors

    response = await errors._validation_handler(request, exc)
    body = json.loads(response.body)
    locs = [e.get("loc", []) for e in body.get("errors", [])]
    field = next((str(loc[1]) for loc in locs if len(loc) > 1 and loc[0] == "body"), "request")
    code = _FIELD_CODES.get(field, "invalid_submission")
    return error_response(
        response.status_code,
        body["detail"],
        errors=body.get("errors", []),
        code=code,
        params={"field": field},
    )


router = APIRouter()
submissions = APIRouter(route_class=SubmissionRoute)

_limiters: dict[tuple[ParticipationStore | None, int], RateLimiter | SharedRateLimiter] = {}


async def get_limiter(
    limits: LimitsDep, store: ParticipationStoreDep
) -> RateLimiter | SharedRateLimiter:
    """The rate limiter of submissions per client and minute (``annotations_per_minute``):
    kept in the database when the participation store is PostgreSQL (one limit across all
    servers), else in this process's memory (see :mod:`api.participation.ratelimit`)."""
    shared = store.dialect == "postgresql"
    key = (store if shared else None, limits.per_minute)
    limiter = _limiters.get(key)
    if limiter is None:
        made = (
            SharedRateLimiter(store, limits.per_minute, window_s=60.0)
            if shared
            else RateLimiter(limits.per_minute, window_s=60.0)
        )
        limiter = _limiters.setdefault(key, made)
    return limiter


LimiterDep = Annotated[RateLimiter | SharedRateLimiter, Depends(get_limiter)]


def refuse_over_limit(
    limiter: RateLimiter | SharedRateLimiter, request: Request, settings: Settings
) -> None:
    """Count one submission of the request's client; 429 with ``Retry-After`` beyond the
    limiter's budget."""
    verdict = limiter.hit(client_address(request, settings))
    if not verdict.allowed:
        raise api_error(
            429,
            f"too many submissions from this connection; at most {limiter.limit} per "
            f"minute. Try again in {verdict.retry_after_s} s.",
            headers={"Retry-After": str(verdict.retry_after_s)},
        )


QuartierId = Annotated[
    str, Path(description="quartier id from the registry, e.g. 'lauf'", max_length=100)
]

SUBMITTED_MESSAGE = (
    "Thank you! Your contribution was received and will appear on the map after review."
)


class GeometryIn(BaseModel):
    """A GeoJSON geometry drawn by the resident (EPSG:4326, longitude first)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Point", "LineString", "Polygon"]
    coordinates: list[Any]


class AnnotationIn(BaseModel):
    """A resident's annotation: where, what kind, their text and its language."""

    model_config = ConfigDict(extra="forbid")
    geometry: GeometryIn
    kind: Literal[KINDS]
    text: BodyText = Field(min_length=1, description="checked against annotation_max_chars")
    language: BodyText | None = Field(
        default=None, description="ISO 639-1 code, e.g. 'tr'", max_length=8
    )
    event_id: BodyText | None = Field(default=None, max_length=64)

    unwrap_feature = model_validator(mode="before")(feature_as_submission)


class Submitted(BaseModel):
    """Answer to a submission."""

    id: str
    status: Literal["pending"]
    message: str
    receipt_url: str = Field(description="the resident's receipt page (shown once)")


ExpectedStatus = Annotated[
    Literal[STATUSES] | None,
    Field(
        description="the review state the moderator saw (e.g. 'pending'): if the "
        "contribution is in another state by now (decided meanwhile), nothing changes and "
        "the answer is 409; leave it out to overrule any earlier decision"
    ),
]


class DecisionIn(BaseModel):
    """An approval; ``text`` replaces the public text (a redaction, logged privately)."""

    model_config = ConfigDict(extra="forbid")
    reason: BodyText | None = Field(default=None, max_length=1000)
    text: BodyText | None = Field(
        default=None,
        min_length=1,
        description="the public text after redaction (e.g. without a phone number)",
    )
    expected_status: ExpectedStatus = None


class RejectIn(BaseModel):
    """A rejection with its reason (shown to staff, never to the public)."""

    model_config = ConfigDict(extra="forbid")
    reason: BodyText = Field(min_length=1, max_length=1000)
    expected_status: ExpectedStatus = None


@submissions.post(
    "/quartiers/{quartier}/annotations",
    status_code=201,
    response_model=Submitted,
    tags=["participation"],
    summary="Submit an annotation (anyone; appears after review)",
    dependencies=[Depends(max_body_size(lambda settings: settings.annotation_max_bytes))],
    responses={
        404: {"description": "unknown quartier"},
        413: {"description": "request body too large"},
        422: {"description": "invalid submission, or an Idempotency-Key used for another"},
        429: {"description": "too many submissions from this client"},
    },
)
def submit_annotation(
    quartier: QuartierId,
    body: AnnotationIn,
    request: Request,
    settings: SettingsDep,
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    limiter: LimiterDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Store a resident's pin, line or area as ``pending``; it is public only once approved.

    With an ``Idempotency-Key`` header, a retry of the same request within 24 hours
    answers like the first time (same id, header ``Idempotent-Replayed: true``).
    """
    verdict = limiter.hit(client_address(request, settings))
    if not verdict.allowed:
        return submission_error(
            429,
            f"too many submissions from this connection; at most {limiter.limit} per "
            f"minute. Try again in {verdict.retry_after_s} s.",
            "too_many_submissions",
            {"retry_after_s": verdict.retry_after_s, "per_minute": limiter.limit},
            headers={"Retry-After": str(verdict.retry_after_s)},
        )
    area = area_or_404(quartier, registry, limits)
    try:
        row, replayed = _store_annotation(store, area, body, limits, idempotency_key)
    except SubmissionError as exc:
        return submission_error(exc.status, str(exc), exc.code, exc.params)
    except NotFound as exc:
        return submission_error(422, f"event_id: {exc}", "unknown_event", {"field": "event_id"})
    except IdempotencyConflict as exc:
        detail = f"header 'Idempotency-Key': {exc}"
        return submission_error(422, detail, "idempotency_conflict", {"field": "Idempotency-Key"})
    except GeoquartierError as exc:
        return submission_error(422, str(exc), "invalid_submission")
    answer = {"id": row["id"], "status": "pending", "message": SUBMITTED_MESSAGE}
    answer["receipt_url"] = feedback.issue_receipt_url(store, row["id"])
    return JSONResponse(answer, status_code=201, headers=replay_headers(replayed))


def _store_annotation(
    store: ParticipationStore,
    area: QuartierArea,
    body: AnnotationIn,
    limits: Limits,
    idempotency_key: str | None,
) -> tuple[dict, bool]:
    """Check the submission and store it (once per idempotency key): (row, replayed)."""
    fields = {
        "quartier": area.id,
        "geometry": check_geometry(
            {"type": body.geometry.type, "coordinates": body.geometry.coordinates}, area, limits
        ),
        "kind": check_kind(body.kind),
        "text": check_text(body.text, limits),
        "language": check_language(body.language),
        "event_id": body.event_id or None,
    }
    once = idempotency(idempotency_key, f"annotations:{area.id}", body)
    if once is None:
        return store.add_annotation(**fields), False
    return store.add_annotation_once(once, **fields)


@router.get(
    "/quartiers/{quartier}/annotations",
    tags=["participation"],
    summary="Approved annotations of a quartier (GeoJSON)",
    responses={404: {"description": "unknown quartier"}},
)
def public_annotations(
    quartier: QuartierId,
    registry: RegistryDep,
    store: ParticipationStoreDep,
    limits: LimitsDep,
    kind: Annotated[Literal[KINDS] | None, Query(description="only this kind")] = None,
    event_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Approved annotations only; pending and rejected ones are never public."""
    area_or_404(quartier, registry, limits)
    rows = store.list_annotations(quartier=quartier, status="approved", event_id=event_id)
    if kind is not None:
        rows = [r for r in rows if r["kind"] == kind]
    features = feedback.with_feedback(store, [annotation_feature(r) for r in rows])
    return feature_collection(features, numberReturned=len(rows))


@router.get(
    "/moderation/annotations",
    tags=["moderation"],
    summary="The review queue (moderators)",
    responses={
        401: {"description": "missing or wrong token"},
        403: {"description": "not a moderator"},
    },
)
def moderation_queue(
    user: Annotated[User, Depends(auth.moderator)],
    store: ParticipationStoreDep,
    status: Annotated[
        Literal["pending", "approved", "rejected"], Query(description="review state")
    ] = "pending",
    quartier: Annotated[str | None, Query(max_length=100)] = None,
    event_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Annotations in one review state, oldest first, with paging."""
    rows = store.list_annotations(
        quartier=quartier, status=status, event_id=event_id, limit=limit, offset=offset
    )
    total = store.count_annotations(quartier=quartier, status=status, event_id=event_id)
    features = [annotation_feature(r, staff=True) for r in rows]
    return feature_collection(
        paper.with_staff_details(store, features),
        numberMatched=total,
        numberReturned=len(rows),
    )


def _decide(
    store: ParticipationStore,
    annotation_id: str,
    decision: str,
    user: User,
    reason: str | None,
    text: str | None = None,
    expected_status: str | None = None,
) -> dict:
    with answer_errors({NotFound: 404, DecisionConflict: 409, GeoquartierError: 422}):
        row = store.decide(
            annotation_id, decision, user, reason, text=text, expected_status=expected_status
        )
    return annotation_feature(row, staff=True)


_MODERATOR_RESPONSES = {
    401: {"description": "missing or wrong token"},
    403: {"description": "not a moderator"},
    404: {"description": "unknown annotation"},
}
"""The error answers of the routes on one annotation that only moderators may call."""
_DECISION_RESPONSES = {
    **_MODERATOR_RESPONSES,
    409: {"description": "decided meanwhile by someone else (expected_status differs)"},
}


@router.post(
    "/moderation/annotations/{annotation_id}/approve",
    tags=["moderation"],
    summary="Approve an annotation (moderators)",
    responses=_DECISION_RESPONSES,
)
def approve(
    annotation_id: AnnotationId,
    user: Annotated[User, Depends(auth.moderator)],
    store: ParticipationStoreDep,
    limits: LimitsDep,
    body: DecisionIn | None = None,
) -> dict[str, Any]:
    """Make the annotation public; the decision is logged with the moderator and time.

    With ``text`` the public text is replaced first (redaction): the original is kept only
    in the database's private audit table, with who, when and its SHA-256.
    """
    text = None
    if body is not None and body.text is not None:
        try:
            text = check_text(body.text, limits)
        except SubmissionError as exc:
            raise api_error(exc.status, str(exc)) from None
    reason, expected = (body.reason, body.expected_status) if body else (None, None)
    return _decide(store, annotation_id, "approved", user, reason, text, expected)


@router.post(
    "/moderation/annotations/{annotation_id}/reject",
    tags=["moderation"],
    summary="Reject an annotation with a reason (moderators)",
    responses=_DECISION_RESPONSES,
)
def reject(
    annotation_id: AnnotationId,
    user: Annotated[User, Depends(auth.moderator)],
    store: ParticipationStoreDep,
    body: RejectIn,
) -> dict[str, Any]:
    """Keep the annotation off the public map; the reason is logged with moderator and time."""
    return _decide(store, annotation_id, "rejected", user, body.reason, None, body.expected_status)


@router.get(
    "/moderation/annotations/{annotation_id}/decisions",
    tags=["moderation"],
    summary="Decision log of one annotation (moderators)",
    responses=_MODERATOR_RESPONSES,
)
def decision_log(
    annotation_id: AnnotationId,
    user: Annotated[User, Depends(auth.moderator)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """Every decision on the annotation: decision, previous state, reason, who, when; and
    every redaction: who, when, SHA-256 of the original (never the original)."""
    with answer_errors({NotFound: 404}):
        store.get_annotation(annotation_id)
    return {
        "annotation_id": annotation_id,
        "decisions": store.decisions(annotation_id),
        "redactions": store.redactions(annotation_id),
    }


__all__ = ["KINDS", "STATUSES", "get_limiter", "router", "submissions"]
