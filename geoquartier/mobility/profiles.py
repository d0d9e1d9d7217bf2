"""Walking profiles: a speed and the ways a person may not use.

Built-in profiles (:data:`PROFILES`):

* ``standard`` — 4.5 km/h, every walkable way;
* ``senior`` — 3.0 km/h (walking speed of people aged 75–85), every walkable way;
* ``wheelchair`` — 4.0 km/h; no ``highway=steps``, no ``wheelchair=no``, no kerb higher
  than 3 cm (``kerb=raised``/``rolled`` or ``kerb:height`` > 0.03 m), no incline above 6 %
  and no loose or rough surface — each rule only where the tag is present (DIN 18040-3
  values). Ways lacking ``surface`` or ``incline``, and crossings lacking ``kerb``, are
  *unknown*: usable, but results report the share of distance walked on them.

Make your own with ``Profile(...)`` or ``dataclasses.replace(PROFILES["senior"],
speed_kmh=2.5)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from geoquartier.errors import GeoquartierError


@dataclass(frozen=True)
class Profile:
    """A walking profile: ``speed_kmh`` and the rules that exclude ways.

    ``excluded_highways``/``excluded_wheelchair``/``excluded_surfaces``/``excluded_kerbs``
    are OSM values; ``max_kerb_height_m`` and ``max_incline_percent`` apply where the tag
    holds a number. ``unknown_tags`` names the tags whose absence is reported (``kerb`` is
    only checked on crossings).
    """

    name: str
    speed_kmh: float
    excluded_highways: frozenset[str] = frozenset()
    excluded_wheelchair: frozenset[str] = frozenset()
    excluded_surfaces: frozenset[str] = frozenset()
    excluded_kerbs: frozenset[str] = frozenset()
    max_kerb_height_m: float | None = None
    max_incline_percent: float | None = None
    unknown_tags: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if not (isinstance(self.speed_kmh, (int, float)) and 0 < self.speed_kmh < 50):
            raise GeoquartierError(
                f"profile {self.name!r}: speed_kmh must be in (0, 50), got {self.speed_kmh!r}"
            )

    @property
    def speed_m_per_min(self) -> float:
        """Walking speed in metres per minute."""
        return self.speed_kmh * 1000.0 / 60.0

    @property
    def restricted(self) -> bool:
        """True if the profile excludes any way or reports unknown tags."""
        return bool(
            self.excluded_highways
            or self.excluded_wheelchair
            or self.excluded_surfaces
            or self.excluded_kerbs
            or self.max_kerb_height_m is not None
            or self.max_incline_percent is not None
            or self.unknown_tags
        )

    def cache_key(self) -> tuple:
        """Hashable key of the rules that shape the routable graph (speed excluded)."""
        return (
            tuple(sorted(self.excluded_highways)),
            tuple(sorted(self.excluded_wheelchair)),
            tuple(sorted(self.excluded_surfaces)),
            tuple(sorted(self.excluded_kerbs)),
            self.max_kerb_height_m,
            self.max_incline_percent,
        )

    def allowed_edges(self, network) -> np.ndarray:
        """Boolean mask over ``network``'s edges: may this profile use the edge?"""
        key = ("allowed", self.cache_key())
        return network._cached(key, lambda: _allowed(self, network))

    def unknown_edges(self, network) -> np.ndarray:
        """Boolean mask over edges whose ``unknown_tags`` are missing (all False if none)."""
        key = ("unknown", tuple(self.unknown_tags))
        return network._cached(key, lambda: _unknown(self, network))


_WHEELCHAIR_SURFACES = frozenset(
    {
        "sand",
        "mud",
        "grass",
        "grass_paver",
        "dirt",
        "earth",
        "ground",
        "gravel",
        "pebblestone",
        "rock",
        "stepping_stones",
        "woodchips",
        "unhewn_cobblestone",
        "scree",
        "shells",
    }
)

PROFILES: dict[str, Profile] = {
    "standard": Profile("standard", 4.5),
    "senior": Profile("senior", 3.0),
    "wheelchair": Profile(
        "wheelchair",
        4.0,
        excluded_highways=frozenset({"steps"}),
        excluded_wheelchair=frozenset({"no"}),
        excluded_surfaces=_WHEELCHAIR_SURFACES,
        excluded_kerbs=frozenset({"raised", "rolled"}),
        max_kerb_height_m=0.03,
        max_incline_percent=6.0,
        unknown_tags=("surface", "incline", "kerb"),
    ),
}
"""The built-in profiles by name."""


def get_profile(profile: str | Profile) -> Profile:
    """The :class:`Profile` for a name or the profile itself; unknown names raise an error."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[str(profile)]
    except KeyError:
        raise GeoquartierError(
            f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}"
        ) from None


# ------------------------------------------------------------------ tag parsing
def _values(text) -> list[str]:
    if text is None:
        return []
    return [part.strip().lower() for part in str(text).split(";") if part.strip()]


_NUMBER = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*(%|°|deg|cm|mm|m)?$")


def incline_percent(text) -> float | None:
    """Absolute incline in percent from an OSM ``incline`` value (``8%``, ``-5°``); None if
    not numeric (``up``, ``down``, ``yes``)."""
    best = None
    for value in _values(text):
        m = _NUMBER.match(value)
        if not m:
            continue
        number = abs(float(m.group(1).replace(",", ".")))
        if m.group(2) in ("°", "deg"):
            number = math.tan(math.radians(number)) * 100.0
        best = number if best is None else max(best, number)
    return best


def kerb_height_m(text) -> float | None:
    """Kerb height in metres from an OSM ``kerb:height`` value (``0.03``, ``3 cm``)."""
    best = None
    for value in _values(text):
        m = _NUMBER.match(value)
        if not m:
            continue
        number = float(m.group(1).replace(",", "."))
        unit = m.group(2) or "m"
        number = number / 100 if unit == "cm" else number / 1000 if unit == "mm" else number
        best = number if best is None else max(best, number)
    return best


def _allowed(profile: Profile, network) -> np.ndarray:
    n = network.n_edges
    allowed = np.ones(n, dtype=bool)
    if not profile.restricted:
        return allowed
    tags = network.tags
    for i in range(n):
        if (
            profile.excluded_highways
            and set(_values(tags["highway"][i])) & profile.excluded_highways
            or profile.excluded_wheelchair
            and set(_values(tags["wheelchair"][i])) & profile.excluded_wheelchair
            or profile.excluded_surfaces
            and set(_values(tags["surface"][i])) & profile.excluded_surfaces
            or profile.excluded_kerbs
            and set(_values(tags["kerb"][i])) & profile.excluded_kerbs
            or profile.max_kerb_height_m is not None
            and (
                (h := kerb_height_m(tags["kerb:height"][i])) is not None
                and h > profile.max_kerb_height_m
            )
            or profile.max_incline_percent is not None
            and (
                (p := incline_percent(tags["incline"][i])) is not None
                and p > profile.max_incline_percent
            )
        ):
            allowed[i] = False
    return allowed


def crossing_edges(network) -> np.ndarray:
    """Boolean mask over ``network``'s edges: is the edge a street crossing
    (``footway=crossing``, ``highway=crossing`` or any ``crossing`` tag)?"""
    tags = network.tags
    return np.array(
        [
            ("crossing" in _values(f)) or ("crossing" in _values(h)) or c is not None
            for f, h, c in zip(tags["footway"], tags["highway"], tags["crossing"], strict=True)
        ],
        dtype=bool,
    )


def tag_values(text) -> list[str]:
    """The values of an edge tag (OSMnx joins merged ways' values with ``;``), lower case."""
    return _values(text)


def _unknown(profile: Profile, network) -> np.ndarray:
    unknown = np.zeros(network.n_edges, dtype=bool)
    tags = network.tags
    for tag in profile.unknown_tags:
        if tag == "kerb":
            crossing = crossing_edges(network)
            missing = np.array(
                [
                    k is None and kh is None
                    for k, kh in zip(tags["kerb"], tags["kerb:height"], strict=True)
                ]
            )
            unknown |= crossing & missing
        else:
            unknown |= np.array([v is None for v in tags[tag]], dtype=bool)
    return unknown
