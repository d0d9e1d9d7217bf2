"""Routes closing the loop with residents: public feedback on contributions and receipts.

* ``POST /moderation/annotations/{id}/feedback`` — a moderator or planner gives an
  approved contribution a public status (received, under_review, planned, done,
  declined) and a short answer in the writer's language or German, optionally linked to
  a measure id or a published scenario id. Every change is logged.
* ``GET /moderation/annotations/{id}/feedback`` — the log of those changes (staff).
* ``GET /receipts/{token}`` (HTML, ``?lang=``) and ``/receipts/{token}.json`` — what the
  resident who sent the contribution sees: waiting for review, not published, or the
  public status with the answer. The token comes back from the submission once.

Public annotations carry the feedback fields (:func:`with_feedback`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AnnotationId, PageLang, ParticipationStoreDep, RegistryDep, WorkspaceDep
from api.errors import answer_errors, api_error, max_body_size
from api.participation import auth
from api.participation import feedback_store as fb
from api.participation.i18n import (
    FEEDBACK_MSGIDS,
    Translator,
    page_language,
    script_json,
)
from api.participation.pages import render_page
from api.participation.settings import BodyText, LimitsDep
from api.participation.store import NotFound, ParticipationStore, User
from api.participation.validation import area_or_404, check_language
from geoquartier.errors import GeoquartierError
from geoquartier.layers.validate import clean_text
from geoquartier.vocabulary import FEEDBACK_STATUSES

router = APIRouter()

MAX_ANSWER_CHARS = 1000
"""Length of a public answer (characters)."""

_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")

ReceiptToken = Annotated[str, Path(max_length=64, description="the receipt token")]


class FeedbackIn(BaseModel):
    """A public status with an optional short answer and links."""

    model_config = ConfigDict(extra="forbid")
    status: str = Field(description=f"one of {', '.join(FEEDBACK_STATUSES)}", max_length=20)
    answer: BodyText | None = Field(default=None, max_length=4 * MAX_ANSWER_CHARS)
    answer_language: BodyText | None = Field(default=None, max_length=8)
    measure_id: BodyText | None = Field(default=None, max_length=64)
    scenario_id: BodyText | None = Field(default=None, max_length=64)


def feature_as_submission(data: Any) -> Any:
    """A GeoJSON Feature ``{"type": "Feature", "geometry", "properties": {kind, text, ...}}``
    as the plain submission body (anything else is returned unchanged).

    A Feature may carry only ``type``, ``geometry``, ``properties`` and ``id`` (ignored);
    its properties become the body's fields and are checked like them.
    """
    if not isinstance(data, dict) or data.get("type") != "Feature":
        return data
    unknown = set(data) - {"type", "geometry", "properties", "id"}
    if unknown:
        raise ValueError(f"unknown members of the Feature: {sorted(unknown)}")
    properties = data.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValueError("properties of the Feature must be an object")
    if "geometry" in properties:
        raise ValueError("properties may not hold 'geometry'")
    return {**properties, "geometry": data.get("geometry")}


def receipt_url(token: str) -> str:
    """The path of a receipt page."""
    return f"/receipts/{token}"


def issue_receipt_url(store: ParticipationStore, annotation_id: str) -> str:
    """A new receipt for ``annotation_id``: its URL path (the token is in it, shown once)."""
    return receipt_url(fb.issue_receipt(store, annotation_id))


def with_feedback(store: ParticipationStore, features: list[dict]) -> list[dict]:
    """Public annotation features with their feedback properties added (in place)."""
    found = fb.feedback_by_annotation(store, [f["id"] for f in features])
    for feature in features:
        feature["properties"].update(found[feature["id"]])
    return features


def _checked(body: FeedbackIn) -> dict[str, Any]:
    """The body's fields cleaned and checked (422 naming the field)."""
    if body.status not in FEEDBACK_STATUSES:
        raise api_error(422, f"status: {body.status!r}; expected one of {list(FEEDBACK_STATUSES)}")
    answer = clean_text(body.answer) if body.answer else None
    if answer and len(answer) > MAX_ANSWER_CHARS:
        raise api_error(422, f"answer: {len(answer)} characters; at most {MAX_ANSWER_CHARS}")
    fields: dict[str, Any] = {"status": body.status, "answer": answer or None}
    with answer_errors({GeoquartierError: 422}):
        fields["answer_language"] = check_language(body.answer_language)
    for name in ("measure_id", "scenario_id"):
        value = getattr(body, name)
        if value is not None and not _IDENTIFIER.match(value):
            raise api_error(422, f"{name}: {value!r} is not an id (letters, digits, _.:-)")
        fields[name] = value
    return fields


def _check_links(
    workspace: Any, quartier: str, measure_id: str | None, scenario_id: str | None
) -> None:
    """422 unless the measure exists in the quartier and the scenario is published there."""
    if measure_id is not None:
        if "measures" not in workspace.layers():
            raise api_error(422, "measure_id: the workspace has no measures layer")
        measures = workspace.frame("measures")
        mine = measures[(measures["quartier"] == quartier) & (measures["id"] == measure_id)]
        if mine.empty:
            raise api_error(422, f"measure_id: no measure {measure_id!r} in quartier {quartier!r}")
    if scenario_id is not None:
        from geoquartier.mobility.scenarios.storage import list_scenarios

        scenarios = list_scenarios(workspace.path, quartier)
        published = scenarios[(scenarios["id"] == scenario_id)]
        if published.empty or published.iloc[0]["status"] != "published":
            raise api_error(
                422, f"scenario_id: no published scenario {scenario_id!r} in quartier {quartier!r}"
            )


@router.post(
    "/moderation/annotations/{annotation_id}/feedback",
    tags=["moderation"],
    dependencies=[Depends(max_body_size(16_384))],
    summary="Give an approved contribution a public status and answer (moderators, planners)",
    responses={
        401: {"description": "missing or wrong token"},
        403: {"description": "neither moderator nor planner"},
        404: {"description": "unknown annotation"},
        409: {"description": "the contribution is not approved"},
    },
)
def give_feedback(
    annotation_id: AnnotationId,
    body: FeedbackIn,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
    workspace: WorkspaceDep,
) -> dict[str, Any]:
    """Set the public status and answer; the change is logged with account and time.

    A ``measure_id`` must name a measure of the contribution's quartier in the workspace's
    ``measures`` layer, a ``scenario_id`` a published scenario of that quartier.
    """
    fields = _checked(body)
    with answer_errors({NotFound: 404}):
        quartier = store.get_annotation(annotation_id)["quartier"]
    _check_links(workspace, quartier, fields.get("measure_id"), fields.get("scenario_id"))
    with answer_errors({NotFound: 404, fb.NotApproved: 409, GeoquartierError: 422}):
        return fb.set_feedback(store, annotation_id, user, **fields)


@router.get(
    "/moderation/annotations/{annotation_id}/feedback",
    tags=["moderation"],
    summary="Log of public status changes of one contribution (moderators, planners)",
    responses={404: {"description": "unknown annotation"}},
)
def feedback_history(
    annotation_id: AnnotationId,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
) -> dict[str, Any]:
    """Every change: previous and new status and answer, who, when."""
    with answer_errors({NotFound: 404}):
        store.get_annotation(annotation_id)
    return {"annotation_id": annotation_id, "changes": fb.feedback_log(store, annotation_id)}


def _receipt_or_404(store: ParticipationStore, token: str) -> dict[str, Any]:
    with answer_errors({NotFound: 404}):
        return fb.receipt(store, token)


@router.get(
    "/receipts/{token}.json",
    tags=["participation"],
    summary="State of one's own contribution (receipt token from the submission)",
    responses={404: {"description": "unknown receipt"}},
)
def receipt_json(token: ReceiptToken, store: ParticipationStoreDep) -> JSONResponse:
    """Review state and, once approved, public status and answer; no text when rejected."""
    return JSONResponse(_receipt_or_404(store, token), headers={"Cache-Control": "no-store"})


def _state_line(tr: Translator, receipt: dict[str, Any]) -> str:
    if receipt["review"] == "pending":
        return tr("Waiting for review")
    if receipt["review"] == "rejected":
        return tr("Not published")
    return tr(FEEDBACK_MSGIDS[receipt["feedback_status"]])


@router.get(
    "/receipts/{token}",
    response_class=HTMLResponse,
    tags=["participation pages"],
    summary="Receipt page of one's own contribution",
    responses={404: {"description": "unknown receipt"}},
)
def receipt_page(
    token: ReceiptToken,
    store: ParticipationStoreDep,
    registry: RegistryDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """The resident's receipt in the page language (texts escaped by Jinja2)."""
    lang = page_language(lang)
    receipt = _receipt_or_404(store, token)
    tr = Translator(lang)
    spec = registry.get(receipt["quartier"])
    return render_page(
        "receipt.html",
        lang,
        receipt=receipt,
        state=_state_line(tr, receipt),
        kind_label=tr(receipt["kind"].capitalize()),
        quartier_name=spec.name if spec else receipt["quartier"],
        self_path=receipt_url(token),
    )


@router.get(
    "/feedback/{quartier}",
    response_class=HTMLResponse,
    tags=["participation pages"],
    summary="Staff page: public status and answers of approved contributions",
    responses={404: {"description": "unknown quartier"}},
)
def answers_page(
    quartier: Annotated[str, Path(max_length=100)],
    registry: RegistryDep,
    limits: LimitsDep,
    lang: PageLang = "de",
) -> HTMLResponse:
    """The approved contributions of a quartier with a form for status and answer each;
    the staff token is typed in (kept in ``sessionStorage``, as on ``/moderate``)."""
    from api.participation.i18n import page_config

    lang = page_language(lang)
    area_or_404(quartier, registry, limits)
    config = page_config(
        lang,
        listUrl=f"/quartiers/{quartier}/annotations",
        feedbackUrl="/moderation/annotations/{id}/feedback",
        checkUrl="/moderation/annotations/-/feedback",
        feedbackStatuses=list(FEEDBACK_STATUSES),
        maxAnswerChars=MAX_ANSWER_CHARS,
    )
    return render_page(
        "answers.html",
        lang,
        quartier_name=registry[quartier].name,
        config_json=script_json(config),
        self_path=f"/feedback/{quartier}",
        event_query="",
    )
