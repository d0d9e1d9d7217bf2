"""Limits and vocabularies of the participation workflow.

The limits are settings (see the table in :mod:`geoquartier.settings`); the vocabularies
come from :mod:`geoquartier.vocabulary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from pydantic import AfterValidator

from geoquartier.settings import Settings, get_settings
from geoquartier.vocabulary import (  # noqa: F401  (re-exported for the participation modules)
    ANNOTATION_KINDS,
    ANNOTATION_STATUSES,
    EVENT_KINDS,
    PAGE_LANGUAGES,
    STAFF_ROLES,
)

KINDS = ANNOTATION_KINDS
STATUSES = ANNOTATION_STATUSES
ROLES = STAFF_ROLES


_LIMIT_SETTINGS = {
    "per_minute": "annotations_per_minute",
    "max_body_bytes": "annotation_max_bytes",
    "max_text_chars": "annotation_max_chars",
    "max_vertices": "annotation_max_vertices",
    "margin_m": "annotation_margin_m",
    "max_length_m": "annotation_max_length_m",
    "max_area_m2": "annotation_max_area_m2",
}
"""Each limit → the setting of :class:`geoquartier.settings.Settings` that names it."""


def _default(limit: str):
    """The default of the setting behind ``limit`` (defined once, in the settings)."""
    return Settings.model_fields[_LIMIT_SETTINGS[limit]].default


@dataclass(frozen=True)
class Limits:
    """The limits applied to submissions (units in the field names); the defaults are
    those of the settings."""

    per_minute: int = _default("per_minute")
    max_body_bytes: int = _default("max_body_bytes")
    max_text_chars: int = _default("max_text_chars")
    max_vertices: int = _default("max_vertices")
    margin_m: float = _default("margin_m")
    max_length_m: float = _default("max_length_m")
    max_area_m2: float = _default("max_area_m2")

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits named in :mod:`geoquartier.settings`."""
        return cls(**{limit: getattr(settings, name) for limit, name in _LIMIT_SETTINGS.items()})


async def get_limits(settings: Annotated[Settings, Depends(get_settings)]) -> Limits:
    """FastAPI dependency: the limits of the request's settings."""
    return Limits.from_settings(settings)


LimitsDep = Annotated[Limits, Depends(get_limits)]


def current_limits() -> Limits:
    """The limits of the current settings (code outside a request)."""
    return Limits.from_settings(get_settings())


def _encodable(value: str) -> str:
    """``value`` if it can be stored as UTF-8 (JSON may carry lone surrogates: refused)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text contains invalid characters (lone UTF-16 surrogates)") from None
    return value


BodyText = Annotated[str, AfterValidator(_encodable)]
"""A string from a request body that can be stored (valid Unicode)."""
