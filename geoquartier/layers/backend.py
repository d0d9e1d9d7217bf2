"""Which layer store a process uses: the GeoPackage, or PostGIS when a database is set.

:func:`get_layer_store` is the one place that decides; every command and the server
call it. Both stores share one interface (:class:`LayerStore`), the same validation and
the same all-or-nothing writes; ``docs/deployment.md`` explains when to use which.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from geoquartier.layers.migrations import Migration
    from geoquartier.settings import Settings


class LayerStore(Protocol):
    """What :class:`~geoquartier.layers.store.GeoPackageStore` and
    :class:`~geoquartier.layers.postgis.PostGISStore` both offer (frames in EPSG:4326)."""

    @property
    def path(self) -> Path | str: ...  # noqa: D102

    def exists(self, layer: str | None = None) -> bool: ...  # noqa: D102

    def layers(self) -> list[str]: ...  # noqa: D102

    def version(self) -> tuple[int, ...]: ...  # noqa: D102

    def schema_version(self) -> int: ...  # noqa: D102

    def read(  # noqa: D102
        self,
        layer: str,
        quartier: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame: ...

    def write(  # noqa: D102
        self, layer: str, gdf: gpd.GeoDataFrame, quartier: str | None = None
    ) -> int: ...

    def write_many(  # noqa: D102
        self, frames: Mapping[str, gpd.GeoDataFrame], quartier: str | None = None
    ) -> dict[str, int]: ...

    def delete(self, layer: str, quartier: str | None = None) -> None: ...  # noqa: D102

    def replace_all(self, frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, int]: ...  # noqa: D102

    def upgrade(self) -> list[Migration]: ...  # noqa: D102

    def close(self) -> None: ...  # noqa: D102


def get_layer_store(
    settings: Settings | None = None, *, workspace: Path | None = None, upgrade: bool = True
) -> LayerStore:
    """The layer store of ``settings`` (default: the current settings).

    ``GEOQUARTIER_DATABASE_URL`` set: the PostGIS store of that database; otherwise the
    GeoPackage at ``GEOQUARTIER_WORKSPACE``. An explicit ``workspace`` file always means
    that GeoPackage (``--workspace`` options of the commands). With ``upgrade``
    (the default), pending schema migrations are applied first, so a store written by
    an older geoquartier is brought up to date when a command or the server starts.
    """
    from geoquartier.settings import get_settings

    settings = settings or get_settings()
    store: LayerStore
    if settings.database_url and workspace is None:
        from geoquartier.layers.postgis import PostGISStore

        store = PostGISStore(settings.database_url, schema=settings.database_schema)
    else:
        from geoquartier.layers.store import GeoPackageStore

        store = GeoPackageStore(workspace or settings.workspace_path)
    if upgrade:
        store.upgrade()
    return store
