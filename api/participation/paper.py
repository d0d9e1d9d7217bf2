"""Paper back to digital: contributions written on paper, typed in by staff, and staff
translations of contributions.

* ``GET /quartiers/{quartier}/grid?size=A3&orientation=landscape`` — the grid squares
  (A1 … H6) of the printed workshop map on that sheet, as GeoJSON polygons (EPSG:4326).
* ``POST /moderation/annotations/paper`` — staff (moderator or planner) type in a
  contribution from paper, placed by the grid square written on it ("C4", on the sheet
  size and orientation that was printed; default A3 landscape like ``geoquartier
  print``) or by a click on the map (a point). Stored with ``source = 'paper'``, the
  grid square, the event and who typed it in, and approved at once (staff wrote it down
  themselves); the approval stands in the decision log like every other.
* ``PUT /moderation/annotations/{id}/translations/{language}`` — staff add (or replace)
  a translation of a contribution into ``language``; the event report shows it next to
  the original.

A grid entry gets the centre of its square as its point (the same frame as the printed
map: :func:`geoquartier.reports.workshop.print_frame` of the quartier's stored boundary).
Every square of the printed grid is accepted, also one at the sheet's edge outside the
quartier; a clicked point must lie within the quartier (plus the margin) like every
contribution. Staff entries are not rate-limited, but the body size and text length
limits apply.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import geopandas as gpd
from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from shapely.geometry import Point

from api.deps import AnnotationId, ParticipationStoreDep, RegistryDep, WorkspaceDep
from api.errors import answer_errors, api_error, max_body_size
from api.geojson import annotation_feature, feature_collection
from api.participation import auth
from api.participation.settings import KINDS, BodyText, Limits, LimitsDep
from api.participation.store import NotFound, PaperEntry, ParticipationStore, User
from api.participation.validation import (
    QuartierArea,
    SubmissionError,
    UnknownQuartier,
    area_or_404,
    check_geometry,
    check_kind,
    check_language,
    check_text,
    quartier_area,
)
from geoquartier.errors import GeoquartierError

router = APIRouter()

PaperSize = Literal["A3", "A4"]
Orientation = Literal["landscape", "portrait"]
DEFAULT_SIZE: PaperSize = "A3"
DEFAULT_ORIENTATION: Orientation = "landscape"
"""The sheet a grid square refers to unless told otherwise: the default of the print."""


def paper_sheets() -> list[tuple[str, str, str]]:
    """The sheets of the printed workshop map as (size, orientation, msgid of its name,
    e.g. "A3 landscape"), the print's default first."""
    from geoquartier.reports.workshop import ORIENTATIONS, PAGE_SIZES_MM

    sheets = [(size, o, f"{size} {o}") for size in PAGE_SIZES_MM for o in ORIENTATIONS]
    return sorted(sheets, key=lambda s: (s[:2] != (DEFAULT_SIZE, DEFAULT_ORIENTATION), s))


_STAFF_RESPONSES = {
    401: {"description": "missing or wrong token"},
    403: {"description": "not a moderator or planner"},
}


class ClickedPoint(BaseModel):
    """The place clicked on the map (GeoJSON Point, EPSG:4326, longitude first)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["Point"]
    coordinates: list[Any]


class PaperIn(BaseModel):
    """A contribution written on paper: where (``grid_cell`` or ``geometry``), what kind,
    the text as written and its language, the event it came from."""

    model_config = ConfigDict(extra="forbid")
    quartier: BodyText = Field(min_length=1, max_length=100)
    kind: Literal[KINDS]
    text: BodyText = Field(min_length=1, description="checked against annotation_max_chars")
    language: BodyText | None = Field(default="de", max_length=8, description="ISO 639-1")
    event_id: BodyText | None = Field(default=None, max_length=64)
    grid_cell: BodyText | None = Field(
        default=None, max_length=8, description="square of the printed map, e.g. 'C4'"
    )
    geometry: ClickedPoint | None = Field(default=None, description="a point clicked on the map")
    size: PaperSize = Field(default=DEFAULT_SIZE, description="sheet the grid square is on")
    orientation: Orientation = DEFAULT_ORIENTATION

    @model_validator(mode="after")
    def _one_place(self) -> PaperIn:
        if (self.grid_cell is None) == (self.geometry is None):
            raise ValueError("give the place as either 'grid_cell' or 'geometry'")
        return self


class TranslationIn(BaseModel):
    """A staff translation of a contribution."""

    model_config = ConfigDict(extra="forbid")
    text: BodyText = Field(min_length=1, description="checked against annotation_max_chars")


def boundary_frame(quartier: str, registry: dict, workspace: Any) -> gpd.GeoDataFrame:
    """The quartier's boundary as the printed map draws it (EPSG:4326): its row of the
    workspace's ``quartiers`` layer, or the registry's boundary before an import."""
    if "quartiers" in workspace.layers():
        rows = workspace.frame("quartiers")
        rows = rows[rows["id"].astype(str) == quartier]
        if len(rows):
            return rows[["geometry"]]
    spec = registry.get(quartier)
    boundary = getattr(spec, "boundary", None)
    if boundary is None:
        raise UnknownQuartier(f"quartier {quartier!r} has no boundary; the grid needs one")
    return gpd.GeoDataFrame(geometry=[boundary], crs="EPSG:4326")


def grid_frame(quartier: str, registry: dict, workspace: Any, size: str, orientation: str) -> Any:
    """The :class:`~geoquartier.reports.svgmap.MapFrame` of the quartier's printed workshop
    map on ``size`` paper in ``orientation`` (its grid squares, EPSG:25832 inside)."""
    from geoquartier.reports.workshop import print_frame

    return print_frame(boundary_frame(quartier, registry, workspace), size, orientation)


@router.get(
    "/quartiers/{quartier}/grid",
    tags=["participation"],
    summary="Grid squares of the printed workshop map (GeoJSON)",
    responses={404: {"description": "unknown quartier"}},
)
def grid(
    quartier: Annotated[str, Path(max_length=100, description="quartier id")],
    registry: RegistryDep,
    workspace: WorkspaceDep,
    limits: LimitsDep,
    size: Annotated[PaperSize, Query(description="paper size of the print")] = DEFAULT_SIZE,
    orientation: Annotated[Orientation, Query()] = DEFAULT_ORIENTATION,
) -> dict[str, Any]:
    """Each square A1 … H6 as a polygon (EPSG:4326) with its ``cell`` label and ``centre``
    (lon, lat): the grid printed over the map on that sheet."""
    from geoquartier.reports.svgmap import grid_cells

    area_or_404(quartier, registry, limits)
    frame = grid_frame(quartier, registry, workspace, size, orientation)
    features = []
    for cell in grid_cells():
        features.append(
            {
                "type": "Feature",
                "id": cell,
                "geometry": frame.cell_polygon(cell).__geo_interface__,
                "properties": {"cell": cell, "centre": list(frame.cell_centre(cell))},
            }
        )
    return feature_collection(features, size=size, orientation=orientation)


def _paper_place(
    body: PaperIn, area: QuartierArea, registry: dict, workspace: Any, limits: Limits
) -> tuple[Any, str | None]:
    """The stored point and grid square of a paper contribution (EPSG:4326)."""
    if body.geometry is not None:
        point = {"type": "Point", "coordinates": body.geometry.coordinates}
        return check_geometry(point, area, limits), None
    frame = grid_frame(area.id, registry, workspace, body.size, body.orientation)
    try:
        lon, lat = frame.cell_centre(body.grid_cell)
    except GeoquartierError as exc:
        raise SubmissionError("grid_cell", str(exc), code="invalid_submission") from None
    return Point(lon, lat), frame.grid_cell(lon, lat)


@router.post(
    "/moderation/annotations/paper",
    status_code=201,
    tags=["moderation"],
    summary="Type in a contribution written on paper (moderators, planners)",
    dependencies=[Depends(max_body_size(lambda settings: settings.annotation_max_bytes))],
    responses={
        **_STAFF_RESPONSES,
        413: {"description": "request body too large"},
        422: {"description": "invalid entry, e.g. an unknown grid square or event"},
    },
)
def enter_from_paper(
    body: PaperIn,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
    registry: RegistryDep,
    workspace: WorkspaceDep,
    limits: LimitsDep,
) -> dict[str, Any]:
    """Store a contribution from paper (``source = 'paper'``, approved at once, logged with
    the account that typed it in); answers the stored contribution as a GeoJSON Feature."""
    try:
        area = quartier_area(body.quartier, registry, limits)
        geometry, cell = _paper_place(body, area, registry, workspace, limits)
        fields = {
            "kind": check_kind(body.kind),
            "text": check_text(body.text, limits),
            "language": check_language(body.language),
        }
    except UnknownQuartier as exc:
        raise api_error(422, f"quartier: {exc}") from None
    except SubmissionError as exc:
        raise api_error(exc.status, str(exc)) from None
    try:
        row = store.add_annotation(
            area.id,
            geometry,
            event_id=body.event_id or None,
            paper=PaperEntry(user, cell),
            **fields,
        )
    except GeoquartierError as exc:  # the event: unknown, or of another quartier
        raise api_error(422, f"event_id: {exc}") from None
    return annotation_feature(row, staff=True)


@router.put(
    "/moderation/annotations/{annotation_id}/translations/{language}",
    tags=["moderation"],
    summary="Add or replace a staff translation of a contribution (moderators, planners)",
    dependencies=[Depends(max_body_size(lambda settings: settings.annotation_max_bytes))],
    responses={
        **_STAFF_RESPONSES,
        404: {"description": "unknown annotation"},
        422: {"description": "unknown language, empty or too long text"},
    },
)
def translate(
    annotation_id: AnnotationId,
    language: Annotated[str, Path(max_length=8, description="ISO 639-1 code, e.g. 'de'")],
    body: TranslationIn,
    user: Annotated[User, Depends(auth.staff)],
    store: ParticipationStoreDep,
    limits: LimitsDep,
) -> dict[str, Any]:
    """The translation as stored (language, text, who, when); the event report shows it
    beside the original text."""
    try:
        code = check_language(language)
        text = check_text(body.text, limits)
    except SubmissionError as exc:
        raise api_error(exc.status, str(exc)) from None
    if code is None:
        raise api_error(422, "language: expected an ISO 639-1 code such as 'de'")
    with answer_errors({NotFound: 404, GeoquartierError: 422}):
        return store.set_translation(annotation_id, code, text, user)


def with_staff_details(store: ParticipationStore, features: list[dict]) -> list[dict]:
    """Staff features (:func:`api.geojson.annotation_feature` with ``staff``) with their
    ``translations`` and the name of the account that typed a paper contribution in
    (``entered_by_name``)."""
    translations = store.translations([f["id"] for f in features])
    names = {u.id: u.name for u in store.list_users()} if features else {}
    for feature in features:
        props = feature["properties"]
        props["translations"] = translations.get(feature["id"], [])
        props["entered_by_name"] = names.get(props.get("entered_by") or "")
    return features


__all__ = ["boundary_frame", "grid_frame", "paper_sheets", "router", "with_staff_details"]
