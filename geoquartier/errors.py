"""Errors a user can act on.

Every error the CLI and the API show to a person derives from :class:`GeoquartierError`.
The CLI prints its message on one line and exits with code 2; the API answers with JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class GeoquartierError(Exception):
    """A problem with the user's input or environment (not a bug)."""


class DataMissingError(GeoquartierError):
    """Required input data is not available (no file and no network)."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a layer.

    ``index`` is the row position in the submitted batch, ``feature_id`` the value of its
    ``id`` column (or ``None``), ``field`` the column (``geometry`` for the geometry),
    ``value`` the offending value and ``expected`` what would have been accepted.
    """

    index: int | None
    feature_id: Any
    field: str
    value: Any
    expected: str

    def __str__(self) -> str:
        where = "layer" if self.index is None else f"feature {self.index} (id={self.feature_id!r})"
        value = repr(self.value)
        if len(value) > 80:
            value = value[:77] + "..."
        return f"{where}: field {self.field!r} = {value}: expected {self.expected}"


class ValidationError(GeoquartierError):
    """A batch of features was rejected; ``problems`` lists every problem found."""

    def __init__(self, layer: str, problems: list[Problem]):
        self.layer = layer
        self.problems = list(problems)
        head = f"{len(self.problems)} problem(s) in layer {layer!r}, nothing was written"
        lines = "; ".join(str(p) for p in self.problems[:20])
        more = "" if len(self.problems) <= 20 else f"; ... and {len(self.problems) - 20} more"
        super().__init__(f"{head}: {lines}{more}")
