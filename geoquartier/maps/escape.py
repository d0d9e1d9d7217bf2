"""Escaping of every text that reaches the page: HTML text/attributes and inline JSON.

Texts from OpenStreetMap, a planner's file or a resident are data, never markup. Popups and
the place list are built with :func:`text` (``html.escape`` with quotes); data embedded in
``<script>`` goes through :func:`script_json`, which also escapes ``<``, ``>``, ``&`` and
the JS line separators so that no ``</script>`` or ``<!--`` can end the script early.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any


def is_missing(value: Any) -> bool:
    """Whether a cell is empty: ``None``, NaN, NA or a blank string."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, str) and not value.strip()


def text(value: Any) -> str:
    """``value`` as HTML-escaped text (quotes included); empty string for a missing value."""
    if is_missing(value):
        return ""
    return html.escape(str(value), quote=True)


_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(value: Any) -> str:
    """JSON for embedding inside ``<script>``: ``</script>``, ``<!--`` and U+2028 cannot
    break out."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(
        _JSON_ESCAPES
    )
