"""Estimate mode: straight-line distance × a detour factor where no walk network exists.

An :class:`EstimateNetwork` stands in for a :class:`~geoquartier.mobility.network.WalkNetwork`
in every mobility function (nearest facilities, coverage, isochrones, routes); results
carry ``method="estimate"``. Distances are planar in EPSG:25832 (metres) times
``detour_factor`` (default 1.3, a common ratio of walking to straight-line distance in
German towns). Profile speeds apply; way rules (steps, kerbs) cannot, so wheelchair
results report an unknown share of 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geoquartier.errors import GeoquartierError

DEFAULT_DETOUR_FACTOR = 1.3
"""Walking distance ÷ straight-line distance assumed in estimate mode."""


@dataclass(frozen=True)
class EstimateNetwork:
    """No network: distances are straight lines (EPSG:25832, metres) × ``detour_factor``."""

    detour_factor: float = DEFAULT_DETOUR_FACTOR
    source: str = "estimate"

    method = "estimate"

    def __post_init__(self):
        if not (isinstance(self.detour_factor, (int, float)) and 1.0 <= self.detour_factor <= 5.0):
            raise GeoquartierError(f"detour_factor must lie in [1, 5], got {self.detour_factor!r}")

    def nearest(self, ox: np.ndarray, oy: np.ndarray, fx: np.ndarray, fy: np.ndarray, k: int = 1):
        """For each origin the ``k`` nearest facilities: ``(facility positions, distance_m)``
        arrays of shape (origins, k); missing neighbours have position -1 and inf."""
        n = len(ox)
        pos = np.full((n, k), -1, dtype=np.int64)
        dist = np.full((n, k), np.inf)
        if len(fx) == 0 or n == 0:
            return pos, dist
        tree = cKDTree(np.column_stack([fx, fy]))
        kk = min(k, len(fx))
        d, i = tree.query(np.column_stack([ox, oy]), k=kk)
        d = np.asarray(d).reshape(n, kk)
        i = np.asarray(i).reshape(n, kk)
        pos[:, :kk] = i
        dist[:, :kk] = d * self.detour_factor
        return pos, dist
