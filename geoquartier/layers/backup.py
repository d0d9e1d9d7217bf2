"""Backups of the layer store: every layer into one GeoPackage, and back.

A dump is an ordinary GeoPackage written by :class:`GeoPackageStore` (validated layers,
EPSG:4326, the schema version recorded), whichever backend the store is, so a dump of the
PostGIS store opens in QGIS and restores into either backend. Restoring replaces the
whole store in one step (one transaction on PostGIS, one file swap for a GeoPackage):
the store holds the old layers or exactly the dump's, never a mix.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

from geoquartier.errors import GeoquartierError
from geoquartier.layers.schema import LAYERS
from geoquartier.layers.store import GeoPackageStore


def dump_store(store: Any, path: Path) -> dict[str, int]:
    """Write every layer of ``store`` to a new GeoPackage at ``path``; returns row counts.

    ``path`` is replaced only once the dump is complete (written beside it, then renamed).
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise GeoquartierError(f"{path.name}: a dump is a GeoPackage, name it *.gpkg")
    if _same_file(store, path):
        raise GeoquartierError(f"{path} is the workspace itself; choose another file")
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = {layer: store.read(layer) for layer in store.layers() if layer in LAYERS}
    if not frames:
        raise GeoquartierError(f"the layer store {store.path} holds no layers; nothing to dump")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        counts = GeoPackageStore(tmp).write_many(frames)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return counts


def restore_store(store: Any, path: Path) -> dict[str, int]:
    """Make ``store`` hold exactly the layers of the dump at ``path``; returns row counts.

    Every layer of the dump is validated before anything is written; the store's other
    layers are emptied. Atomic.
    """
    path = Path(path)
    if not path.is_file():
        raise GeoquartierError(f"no dump at {path}")
    if _same_file(store, path):
        raise GeoquartierError(f"{path} is the workspace itself; choose a dump file")
    dump = GeoPackageStore(path)
    names = [layer for layer in dump.layers() if layer in LAYERS]
    if not names:
        raise GeoquartierError(f"{path} holds no geoquartier layers; is it a dump?")
    frames = {layer: dump.read(layer) for layer in names}
    return store.replace_all(frames)


def backup_sqlite(source: Path, path: Path) -> dict[str, int]:
    """Copy the SQLite database ``source`` to ``path`` with SQLite's online backup.

    Consistent while other processes write (WAL included); ``path`` is replaced only when
    the copy is complete. Returns the row count of each table of the copy.
    """
    source, path = Path(source), Path(path)
    if not source.is_file():
        raise GeoquartierError(f"no database at {source}")
    if source.resolve() == path.resolve():
        raise GeoquartierError(f"{path} is the database itself; choose another file")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with closing(sqlite3.connect(source)) as src:
            with closing(sqlite3.connect(tmp)) as dst:
                src.backup(dst)
                counts = _table_counts(dst)
        os.replace(tmp, path)
    except sqlite3.DatabaseError as exc:
        raise GeoquartierError(f"{source} is not a readable SQLite database ({exc})") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return counts


def _table_counts(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {name: int(db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def _same_file(store: Any, path: Path) -> bool:
    return isinstance(store, GeoPackageStore) and store.path.resolve() == path.resolve()
