"""The workspace store: every layer of every quartier in one GeoPackage file.

The file is a standard OGC GeoPackage (written by GDAL through pyogrio) that QGIS opens
directly; each layer is a GeoPackage table named like the layer (``offices``,
``services``, ...), in EPSG:4326, with a spatial index. ``languages`` is stored as JSON
text (``["de", "tr"]``); datetimes as GeoPackage DateTime (UTC, milliseconds).

Writes are atomic: the current file is copied to a temporary file in the same folder, the
change is written there, and ``os.replace`` swaps it in. A failed write (bad data, disk
full, a driver error) leaves the previous file byte-identical. Writers in several
processes are serialised with a lock file beside the GeoPackage.

The file records its schema version in a table ``geoquartier_schema_migrations``
(:mod:`geoquartier.layers.migrations`); a file written before versioning is brought up
to date by :meth:`GeoPackageStore.upgrade`, in a copy swapped in like any write.
:class:`geoquartier.layers.postgis.PostGISStore` has the same interface on PostgreSQL;
:func:`geoquartier.layers.backend.get_layer_store` picks one from the settings.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoquartier.errors import GeoquartierError, Problem, ValidationError
from geoquartier.layers.migrations import (
    MIGRATIONS_TABLE,
    Migration,
    geopackage_version,
    pending,
    upgrade_geopackage,
)
from geoquartier.layers.schema import LAYERS, SCENARIOS_TABLE, STORAGE_CRS, layer_schema
from geoquartier.layers.validate import validate

_SIDECARS = ("-wal", "-shm", "-journal")


class GeoPackageStore:
    """All layers of a workspace in one GeoPackage at ``path`` (created on first write).

    Every GeoDataFrame going in or out is in EPSG:4326 (degrees).
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"GeoPackageStore({str(self.path)!r})"

    def close(self) -> None:
        """Nothing to release (every call opens and closes the file); as PostGISStore."""

    # -- reading ------------------------------------------------------------------------
    def exists(self, layer: str | None = None) -> bool:
        """Whether the file exists, or (with ``layer``) whether it holds that layer."""
        if not self.path.is_file():
            return False
        return layer is None or layer in self.layers()

    def layers(self) -> list[str]:
        """Names of the layers in the file (empty if the file does not exist)."""
        if not self.path.is_file():
            return []
        try:
            names = [str(name) for name, _geom in pyogrio.list_layers(self.path)]
        except pyogrio.errors.DataSourceError as exc:
            raise GeoquartierError(
                f"{self.path} is not a readable GeoPackage ({exc}); move it away and import again"
            ) from None
        return [name for name in names if name != MIGRATIONS_TABLE]

    def version(self) -> tuple[int, ...]:
        """Identity of the file and its WAL on disk (inode, mtime, size): changes on write."""
        return file_version(self.path)

    def schema_version(self) -> int:
        """The highest migration applied to the file (0: unversioned or no file yet)."""
        if not self.path.is_file():
            return 0
        return geopackage_version(self.path)

    def read(
        self,
        layer: str,
        quartier: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Read ``layer`` (optionally one quartier, optionally within ``bbox``).

        ``bbox`` is (min lon, min lat, max lon, max lat) in EPSG:4326 degrees. Returns a
        GeoDataFrame in EPSG:4326 typed exactly like :func:`validate` returns it
        (languages as lists, datetimes as ``datetime64[ms, UTC]``). A layer not in the
        file gives an empty, typed GeoDataFrame.
        """
        schema = layer_schema(layer)
        if not self.exists(layer):
            return validate(_empty(layer), layer)
        kwargs: dict = {"layer": layer}
        if quartier is not None:
            kwargs["where"] = f"quartier = '{_sql_text(quartier)}'"
        if bbox is not None:
            if len(bbox) != 4:
                raise GeoquartierError("bbox must be (min lon, min lat, max lon, max lat)")
            kwargs["bbox"] = tuple(float(v) for v in bbox)
        raw = pyogrio.read_dataframe(self.path, **kwargs)
        raw = raw[[c for c in schema.columns if c in raw.columns] + [raw.geometry.name]]
        return validate(raw, layer)

    # -- writing ------------------------------------------------------------------------
    def write(self, layer: str, gdf: gpd.GeoDataFrame, quartier: str | None = None) -> int:
        """Validate ``gdf`` and store it as ``layer``; returns the number of features written.

        With ``quartier``, only that quartier's rows are replaced (a missing ``quartier``
        column is filled with it; rows naming another quartier are rejected); without,
        the whole layer is replaced. Takes any CRS, stores EPSG:4326. Atomic: on any
        error the previous file is left unchanged and the error is raised.
        """
        return self.write_many({layer: gdf}, quartier=quartier)[layer]

    def write_many(
        self, frames: Mapping[str, gpd.GeoDataFrame], quartier: str | None = None
    ) -> dict[str, int]:
        """Write several layers all-or-nothing (one file replace); returns counts per layer.

        Every frame is validated before anything is written; a ``ValidationError`` in any
        layer leaves the file unchanged. Semantics per layer as in :meth:`write`.
        """
        validated: dict[str, gpd.GeoDataFrame] = {}
        for layer, gdf in frames.items():
            layer_schema(layer)
            if quartier is not None:
                gdf = _with_quartier(layer, gdf, quartier)
            validated[layer] = validate(gdf, layer)
        if "measures" in validated:
            check_scenario_links(self.path, validated["measures"])

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            merged = {layer: self._merge(layer, new, quartier) for layer, new in validated.items()}
            self._replace_file(merged)
        return {layer: len(new) for layer, new in validated.items()}

    def delete(self, layer: str, quartier: str | None = None) -> None:
        """Remove a quartier's rows from ``layer`` (or the whole layer's rows); atomic."""
        layer_schema(layer)
        if not self.exists(layer):
            return
        with self._lock():
            if quartier is None:
                kept = validate(_empty(layer), layer)
            else:
                kept = self._others(layer, quartier)
            self._replace_file({layer: kept})

    def replace_all(self, frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, int]:
        """Make the file hold exactly ``frames`` (its other layers emptied); one file replace."""
        validated = {layer: validate(gdf, layer) for layer, gdf in frames.items()}
        emptied = {
            layer: validate(_empty(layer), layer) for layer in self.layers() if layer in LAYERS
        }
        if not validated and not emptied:
            return {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            self._replace_file({**emptied, **validated})
        return {layer: len(gdf) for layer, gdf in validated.items()}

    # -- migrations ---------------------------------------------------------------------
    def upgrade(self) -> list[Migration]:
        """Apply the pending migrations to the file (atomic swap); returns those applied.

        No file yet: nothing to do (a new file is written at the latest version).
        """
        if not self.path.is_file() or not pending(self.schema_version()):
            return []
        with self._lock():
            todo = pending(self.schema_version())
            if todo:
                self._replace_file({})
        return todo

    # -- internals ----------------------------------------------------------------------
    def _others(self, layer: str, quartier: str) -> gpd.GeoDataFrame:
        if not self.exists(layer):
            return validate(_empty(layer), layer)
        raw = pyogrio.read_dataframe(
            self.path, layer=layer, where=f"quartier <> '{_sql_text(quartier)}'"
        )
        schema = layer_schema(layer)
        raw = raw[[c for c in schema.columns if c in raw.columns] + [raw.geometry.name]]
        return validate(raw, layer)

    def _merge(self, layer: str, new: gpd.GeoDataFrame, quartier: str | None) -> gpd.GeoDataFrame:
        if quartier is None:
            return new
        kept = self._others(layer, quartier)
        if len(kept) == 0:
            return new
        check_ids_free(layer, new["id"], set(kept["id"].dropna()))
        merged = pd.concat([kept, new], ignore_index=True)
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=STORAGE_CRS)

    def _replace_file(self, frames: Mapping[str, gpd.GeoDataFrame]) -> None:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp.gpkg", dir=self.path.parent
        )
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            existed = self.path.is_file()
            if existed:
                shutil.copyfile(self.path, tmp)
                mode = self.path.stat().st_mode & 0o777
                upgrade_geopackage(tmp)  # bring an older file up to date before writing
            else:
                tmp.unlink()
                mode = 0o666 & ~_umask()
            for layer, gdf in frames.items():
                _write_layer(tmp, layer, gdf)
            if not existed:
                upgrade_geopackage(tmp)  # a new file: record that it is at LATEST_VERSION
            os.chmod(tmp, mode)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except BaseException:
            _remove(tmp)
            raise
        finally:
            for suffix in _SIDECARS:
                _remove(Path(str(tmp) + suffix))

    def _lock(self):
        return workspace_lock(self.path)


def file_version(path: Path) -> tuple[int, ...]:
    """Identity of a GeoPackage and its WAL on disk (inode, mtime, size): changes on write."""
    parts: list[int] = []
    for candidate in (path, path.with_name(path.name + "-wal")):
        try:
            st = os.stat(candidate)
            parts.extend((st.st_ino, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            parts.extend((0, 0, 0))
    return tuple(parts)


def check_scenario_links(path: Path, measures: gpd.GeoDataFrame) -> None:
    """Raise :class:`ValidationError` naming every measure whose ``scenario_id`` is not a
    published scenario of its own quartier in the GeoPackage at ``path``."""
    if "scenario_id" not in measures or not measures["scenario_id"].notna().any():
        return
    heads = {}
    if path.is_file() and SCENARIOS_TABLE in {str(n) for n, _ in pyogrio.list_layers(path)}:
        table = pyogrio.read_dataframe(path, layer=SCENARIOS_TABLE, read_geometry=False)
        heads = {str(r["id"]): r for r in table.to_dict("records")}
    problems = []
    for i, (fid, quartier, sid) in enumerate(
        zip(measures["id"], measures["quartier"], measures["scenario_id"], strict=True)
    ):
        if pd.isna(sid):
            continue
        head = heads.get(str(sid))
        if head is None:
            expected = "the id of a scenario in the workspace (see 'geoquartier scenario list')"
        elif head["status"] != "published":
            expected = f"a published scenario ('geoquartier scenario publish {sid}' first)"
        elif str(head["quartier"]) != str(quartier):
            expected = f"a scenario of quartier {quartier!r} (it belongs to {head['quartier']!r})"
        else:
            continue
        problems.append(Problem(i, fid, "scenario_id", sid, expected))
    if problems:
        raise ValidationError("measures", problems)


def check_ids_free(layer: str, ids, taken: set) -> None:
    """Raise :class:`ValidationError` naming every row whose ``id`` another quartier of
    ``layer`` already uses (``taken``)."""
    clashes = [
        Problem(i, fid, "id", fid, "an id not used by another quartier in this layer")
        for i, fid in enumerate(ids)
        if fid in taken
    ]
    if clashes:
        raise ValidationError(layer, clashes)


@contextmanager
def workspace_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock file ``<path>.lock`` of a workspace file: the one lock the
    layer store, the scenarios and the monitoring snapshots share between processes."""
    with open(path.with_name(path.name + ".lock"), "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _with_quartier(layer: str, gdf: gpd.GeoDataFrame, quartier: str) -> gpd.GeoDataFrame:
    if "quartier" not in gdf.columns:
        gdf = gdf.copy()
        gdf["quartier"] = gdf["id"] if layer == "quartiers" and "id" in gdf else quartier
        if layer != "quartiers":
            return gdf
    problems = []
    for i, (value, fid) in enumerate(
        zip(gdf["quartier"], gdf["id"] if "id" in gdf else [None] * len(gdf), strict=True)
    ):
        text = None if pd.isna(value) else str(value).strip()
        if text != quartier:
            problems.append(
                Problem(i, fid, "quartier", value, f"{quartier!r} (the quartier being written)")
            )
    if problems:
        raise ValidationError(layer, problems)
    return gdf


def _write_layer(path: Path, layer: str, gdf: gpd.GeoDataFrame) -> None:
    out = gdf.copy()
    if "languages" in out.columns:
        out["languages"] = [
            None if v is None else json.dumps(list(v), ensure_ascii=False) for v in out["languages"]
        ]
        out["languages"] = out["languages"].astype("string")
    types = sorted(set(out.geometry.geom_type.dropna()))
    geometry_type = types[0] if len(types) == 1 else "Unknown"
    pyogrio.write_dataframe(
        out,
        path,
        layer=layer,
        driver="GPKG",
        geometry_type=geometry_type,
        promote_to_multi=False,
        layer_options={"SPATIAL_INDEX": "YES"},
    )


def _empty(layer: str) -> gpd.GeoDataFrame:
    schema = layer_schema(layer)
    return gpd.GeoDataFrame({c: [] for c in schema.columns}, geometry=[], crs=STORAGE_CRS)


def _sql_text(value: str) -> str:
    return str(value).replace("'", "''")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
