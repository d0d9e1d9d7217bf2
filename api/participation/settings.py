"""Limits of the participation workflow, each settable by an environment variable.

| limit | environment variable | default |
|---|---|---|
| submissions per client and minute | ``GEOQUARTIER_ANNOTATIONS_PER_MINUTE`` | 60 |
| request body of a submission (bytes) | ``GEOQUARTIER_ANNOTATION_MAX_BYTES`` | 65536 |
| text length (characters) | ``GEOQUARTIER_ANNOTATION_MAX_CHARS`` | 2000 |
| vertices of a line or polygon | ``GEOQUARTIER_ANNOTATION_MAX_VERTICES`` | 500 |
| margin around the quartier boundary (metres) | ``GEOQUARTIER_ANNOTATION_MARGIN_M`` | 50 |
| length of a line (metres) | ``GEOQUARTIER_ANNOTATION_MAX_LENGTH_M`` | 5000 |
| area of a polygon (square metres) | ``GEOQUARTIER_ANNOTATION_MAX_AREA_M2`` | 1000000 |

A value of 0 for the submissions per minute switches the rate limit off (for load tests
on a closed machine only).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

KINDS = ("idea", "problem", "praise", "question")
"""Kinds of annotation a resident can choose."""

STATUSES = ("pending", "approved", "rejected")
"""Review states of an annotation."""

ROLES = ("moderator", "planner")
"""Roles of staff accounts: moderators review annotations, planners run events."""

EVENT_KINDS = (
    "Stadtteilwerkstatt",
    "Stadtteilspaziergang",
    "Stadtteilkonferenz",
    "Bürgerversammlung",
    "Infostand",
    "Online-Beteiligung",
)
"""Usual kinds of participation event (others are accepted as free text)."""

PAGE_LANGUAGES = ("de", "en", "tr", "ro", "bg")
"""Languages of the participation and moderation pages."""


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from None
    if value < 0:
        raise ValueError(f"environment variable {name}={raw!r} must not be negative")
    return value


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
    def from_env(cls) -> Limits:
        """Limits read from the environment variables in the module docstring."""
        d = cls()
        return cls(
            per_minute=int(_env_number("GEOQUARTIER_ANNOTATIONS_PER_MINUTE", d.per_minute)),
            max_body_bytes=int(_env_number("GEOQUARTIER_ANNOTATION_MAX_BYTES", d.max_body_bytes)),
            max_text_chars=int(_env_number("GEOQUARTIER_ANNOTATION_MAX_CHARS", d.max_text_chars)),
            max_vertices=int(_env_number("GEOQUARTIER_ANNOTATION_MAX_VERTICES", d.max_vertices)),
            margin_m=_env_number("GEOQUARTIER_ANNOTATION_MARGIN_M", d.margin_m),
            max_length_m=_env_number("GEOQUARTIER_ANNOTATION_MAX_LENGTH_M", d.max_length_m),
            max_area_m2=_env_number("GEOQUARTIER_ANNOTATION_MAX_AREA_M2", d.max_area_m2),
        )


LIMITS = Limits.from_env()
"""The limits of this process (read once at import)."""


def _encodable(value: str) -> str:
    """``value`` if it can be stored as UTF-8 (JSON may carry lone surrogates: refused)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("the text contains invalid characters (lone UTF-16 surrogates)") from None
    return value


BodyText = Annotated[str, AfterValidator(_encodable)]
"""A string from a request body that can be stored (valid Unicode)."""
