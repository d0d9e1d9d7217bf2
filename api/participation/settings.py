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


@dataclass(frozen=True)
class Limits:
    """The limits applied to submissions (units in the field names)."""

    per_minute: int = 60
    max_body_bytes: int = 65_536
    max_text_chars: int = 2_000
    max_vertices: int = 500
    margin_m: float = 50.0
    max_length_m: float = 5_000.0
    max_area_m2: float = 1_000_000.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits named in :mod:`geoquartier.settings`."""
        return cls(
            per_minute=settings.annotations_per_minute,
            max_body_bytes=settings.annotation_max_bytes,
            max_text_chars=settings.annotation_max_chars,
            max_vertices=settings.annotation_max_vertices,
            margin_m=settings.annotation_margin_m,
            max_length_m=settings.annotation_max_length_m,
            max_area_m2=settings.annotation_max_area_m2,
        )


def get_limits(settings: Annotated[Settings, Depends(get_settings)]) -> Limits:
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
