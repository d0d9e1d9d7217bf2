"""Layers: schemas, validation, opening hours, readers of real sources and the store.

Public API::

    from geoquartier.layers import LAYERS, validate
    from geoquartier.layers.opening_hours import OpeningHours
    from geoquartier.layers.store import GeoPackageStore

Every GeoDataFrame returned here is in EPSG:4326. See docs/layers.md for the reference.
"""

from geoquartier.layers.schema import LAYERS, Field, LayerSchema
from geoquartier.layers.validate import validate

__all__ = ["LAYERS", "Field", "LayerSchema", "validate"]
