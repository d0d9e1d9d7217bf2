"""Tables of their own in the workspace GeoPackage, written copy-and-swap.

Results kept next to the base layers (scenarios, stored planning runs) are written the
way the layer store writes: under the workspace's lock file (:func:`locked`) a copy of
the file is made, the copy is changed and then swapped in with ``os.replace``
(:func:`swapped_copy`), so a failed write leaves the previous file unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyogrio


def layer_names(path: Path) -> list[str]:
    """Names of the layers and tables in the GeoPackage ``path`` (none if it is missing)."""
    return [str(n) for n, _ in pyogrio.list_layers(path)] if path.is_file() else []


def read_table(path: Path, table: str, fields: Sequence[str]) -> pd.DataFrame:
    """The non-spatial ``table`` of ``path`` with object columns; empty, with ``fields`` as
    columns, when the file or the table does not exist yet."""
    if table not in layer_names(path):
        return pd.DataFrame({c: [] for c in fields}, dtype=object)
    rows = pyogrio.read_dataframe(path, layer=table, read_geometry=False)
    return rows.astype({c: object for c in rows.columns})


def write_table(path: Path, table: str, rows: pd.DataFrame, fields: Sequence[str]) -> None:
    """Write ``rows`` as the non-spatial ``table`` of ``path``, ``fields`` as text."""
    pyogrio.write_dataframe(
        rows.astype({c: "string" for c in fields}), path, layer=table, driver="GPKG"
    )


def locked(path: Path):
    """The workspace's lock for ``path`` (a context manager); creates the folder first."""
    from geoquartier.layers.store import workspace_lock

    path.parent.mkdir(parents=True, exist_ok=True)
    return workspace_lock(path)


@contextmanager
def swapped_copy(path: Path) -> Iterator[Path]:
    """A temporary copy of ``path`` next to it (no file if ``path`` does not exist) to
    write to; swapped in for ``path`` when the block ends without an error, else removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp.gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        if path.is_file():
            shutil.copyfile(path, tmp)
        else:
            tmp.unlink()
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
