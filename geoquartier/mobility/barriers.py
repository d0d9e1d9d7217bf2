"""Barriers in a walk network, from the OSM tags of its edges (EPSG:25832 lengths).

:func:`network_barriers` counts, for the edges of a quartier (those that intersect its
boundary): steps (``highway=steps``), the ways the wheelchair profile may not use (steps,
``wheelchair=no``, high kerbs, steep inclines, loose surfaces: see
:mod:`geoquartier.mobility.profiles`) and how much of the network lacks the tags that
decide it: ``surface`` and ``incline`` (share of length) and ``kerb`` on crossings (share of
crossings), the same *unknown* rules the wheelchair profile reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geoquartier.mobility.profiles import PROFILES, Profile, crossing_edges, tag_values

UNTAGGED = ("kerb", "incline", "surface")
"""Tags whose absence makes a way *unknown* for the wheelchair profile."""


@dataclass(frozen=True)
class Barriers:
    """Barrier figures of the edges of a network within an area (lengths in metres)."""

    edges: int
    length_m: float
    steps: int
    steps_length_m: float
    wheelchair_blocked: int
    wheelchair_blocked_length_m: float
    crossings: int
    untagged_share: dict[str, float]
    """``{"kerb": share of crossings without kerb or kerb:height, "incline": share of
    length without incline, "surface": share of length without surface}`` (0..1)."""
    source: str = ""

    @property
    def wheelchair_blocked_share(self) -> float:
        """Share of the length the wheelchair profile may not use (0..1)."""
        return self.wheelchair_blocked_length_m / self.length_m if self.length_m else 0.0


def steps_edges(network) -> np.ndarray:
    """Boolean mask over ``network``'s edges: ``highway=steps``."""
    return np.array(["steps" in tag_values(v) for v in network.tags["highway"]], dtype=bool)


def area_edges(network, area_25832=None) -> np.ndarray:
    """Boolean mask over ``network``'s edges that intersect ``area_25832`` (a shapely
    geometry in EPSG:25832); every edge when it is None."""
    if area_25832 is None:
        return np.ones(network.n_edges, dtype=bool)
    shapely.prepare(area_25832)
    return shapely.intersects(area_25832, network.edge_geometry)


def _untagged(network, mask: np.ndarray, crossing: np.ndarray) -> dict[str, float]:
    lengths = network.edge_length_m
    total = float(lengths[mask].sum())
    shares: dict[str, float] = {}
    for tag in UNTAGGED:
        unknown = Profile(f"unknown-{tag}", 4.0, unknown_tags=(tag,)).unknown_edges(network)
        if tag == "kerb":
            n = int((mask & crossing).sum())
            shares[tag] = float((unknown & mask).sum()) / n if n else float("nan")
        else:
            shares[tag] = float(lengths[unknown & mask].sum()) / total if total else float("nan")
    return shares


def network_barriers(network, area_25832=None) -> Barriers:
    """The barrier figures of ``network``'s edges that intersect ``area_25832`` (shapely,
    EPSG:25832; all edges when None). Needs a :class:`~geoquartier.mobility.WalkNetwork`
    (an estimate network has no ways)."""
    mask = area_edges(network, area_25832)
    lengths = network.edge_length_m
    steps = steps_edges(network) & mask
    blocked = ~PROFILES["wheelchair"].allowed_edges(network) & mask
    crossing = crossing_edges(network)
    return Barriers(
        edges=int(mask.sum()),
        length_m=float(lengths[mask].sum()),
        steps=int(steps.sum()),
        steps_length_m=float(lengths[steps].sum()),
        wheelchair_blocked=int(blocked.sum()),
        wheelchair_blocked_length_m=float(lengths[blocked].sum()),
        crossings=int((crossing & mask).sum()),
        untagged_share=_untagged(network, mask, crossing),
        source=getattr(network, "source", ""),
    )
