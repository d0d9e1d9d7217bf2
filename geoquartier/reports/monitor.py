"""Monitoring: dated snapshots of a quartier's indicators, kept append-only in the workspace.

A snapshot records, for one quartier at one time (UTC): the residents, the number of
advisory services, the share of residents within 5/10/15 minutes' walk of each category
for each walking profile (the report's walking access), the measures by status and — when
the caller passes them — the participation contributions by review status.

The rows go into the non-spatial table :data:`MONITORING_TABLE` of the workspace
GeoPackage (registered in ``gpkg_contents`` as ``attributes``, so QGIS and GDAL list it),
one row per indicator value. Rows are only ever added, under the workspace's lock file, in
one SQLite transaction: a failed snapshot leaves nothing behind.

:func:`trend_table` turns the snapshots into one row per indicator and one column per
snapshot; :func:`trend_chart_svg` draws them for the report.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from geoquartier.errors import GeoquartierError

MONITORING_TABLE = "monitoring"
COLUMNS = ("quartier", "taken_at", "indicator", "category", "profile", "threshold_min", "status")
"""Key columns of a row; ``value`` holds the figure (a count, or a share between 0 and 1)."""
INDICATORS = ("residents", "services", "coverage_share", "measures", "annotations")
TREND_THRESHOLD_MIN = 10
"""The walking time whose coverage shares the trend summary shows."""

_CREATE = f"""
CREATE TABLE IF NOT EXISTS {MONITORING_TABLE} (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    quartier TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    indicator TEXT NOT NULL,
    category TEXT,
    profile TEXT,
    threshold_min REAL,
    status TEXT,
    value REAL
)"""


def indicator_rows(
    data,
    residents: int | None,
    coverage: pd.DataFrame,
    annotation_counts: dict[str, int] | None = None,
) -> pd.DataFrame:
    """The indicator values of one quartier now (without ``quartier``/``taken_at``).

    ``data`` is the quartier's :class:`~geoquartier.reports.data.DocumentData` (layers in
    EPSG:4326); ``coverage`` the rows of :func:`geoquartier.mobility.coverage`
    (``category, profile, threshold_min, share_within``), e.g. the report's
    :func:`~geoquartier.reports.report.walking_access`; ``annotation_counts`` maps review
    status → number of contributions (left out when None).
    """
    rows = [
        {"indicator": "residents", "value": residents},
        {"indicator": "services", "value": len(data.layers["services"])},
    ]
    for row in coverage.to_dict("records") if len(coverage) else []:
        rows.append(
            {
                "indicator": "coverage_share",
                "category": str(row["category"]),
                "profile": str(row["profile"]),
                "threshold_min": float(row["threshold_min"]),
                "value": float(row["share_within"]),
            }
        )
    measures = data.layers["measures"]
    statuses = measures["status"].astype(str).value_counts() if len(measures) else {}
    for status, n in dict(statuses).items():
        rows.append({"indicator": "measures", "status": status, "value": int(n)})
    for status, n in (annotation_counts or {}).items():
        rows.append({"indicator": "annotations", "status": str(status), "value": int(n)})
    return pd.DataFrame(rows, columns=list(COLUMNS[2:]) + ["value"])


def append_snapshot(path, quartier: str, rows: pd.DataFrame, taken_at: str | None = None) -> str:
    """Append ``rows`` (from :func:`indicator_rows`) as one snapshot of ``quartier`` to the
    GeoPackage at ``path``; returns its time stamp (UTC ISO 8601, seconds)."""
    path = Path(path)
    if not path.is_file():
        raise GeoquartierError(f"workspace {path} does not exist; import the quartier first")
    stamp = taken_at or datetime.now(UTC).replace(microsecond=0).isoformat()
    records = [
        (quartier, stamp, r["indicator"], _text(r.get("category")), _text(r.get("profile")),
         _real(r.get("threshold_min")), _text(r.get("status")), _real(r.get("value")))
        for r in rows.to_dict("records")
    ]  # fmt: skip
    with _locked(path), closing(sqlite3.connect(path)) as con, con:
        con.execute(_CREATE)
        _register(con)
        con.executemany(
            f"INSERT INTO {MONITORING_TABLE} ({', '.join(COLUMNS)}, value) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            records,
        )
    return stamp


def read_snapshots(path, quartier: str | None = None) -> pd.DataFrame:
    """Every stored indicator row (optionally of one quartier), oldest snapshot first;
    an empty frame when the workspace has no monitoring table."""
    path = Path(path) if path is not None else None
    empty = pd.DataFrame(columns=list(COLUMNS) + ["value"])
    if path is None or not path.is_file():
        return empty
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        found = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (MONITORING_TABLE,)
        ).fetchone()
        if not found:
            return empty
        sql = f"SELECT {', '.join(COLUMNS)}, value FROM {MONITORING_TABLE}"
        params: tuple = ()
        if quartier is not None:
            sql += " WHERE quartier = ?"
            params = (quartier,)
        return pd.read_sql_query(sql + " ORDER BY taken_at, fid", con, params=params)


def trend_table(snapshots: pd.DataFrame, category: str | None = None) -> pd.DataFrame:
    """One row per indicator, one column per snapshot (its UTC time stamp).

    Without ``category`` the coverage shares are summarised as the mean share within
    :data:`TREND_THRESHOLD_MIN` minutes over all categories, per profile; with it, that
    category's share for every profile and walking time is shown.
    """
    if snapshots.empty:
        return pd.DataFrame()
    frame = snapshots.copy()
    frame["label"] = [_label(r) for r in frame.to_dict("records")]
    cov = frame["indicator"] == "coverage_share"
    if category is None:
        part = frame[cov & (frame["threshold_min"] == TREND_THRESHOLD_MIN)].copy()
        part["label"] = [
            f"coverage {TREND_THRESHOLD_MIN} min, mean of {part['category'].nunique()} "
            f"categories ({p})"
            for p in part["profile"]
        ]
        frame = pd.concat([frame[~cov], part], ignore_index=True)
    else:
        frame = frame[~cov | (frame["category"] == category)]
    order = list(dict.fromkeys(frame["label"]))
    wide = frame.pivot_table(index="label", columns="taken_at", values="value", aggfunc="mean")
    return wide.reindex(order)


def _label(row: dict) -> str:
    kind = row["indicator"]
    if kind == "coverage_share":
        return f"coverage {row['category']} {row['profile']} {row['threshold_min']:g} min"
    if kind in ("measures", "annotations"):
        return f"{kind} {row['status']}"
    return kind


def trend_chart_svg(snapshots: pd.DataFrame, tr) -> str:
    """Small line charts (SVG, matplotlib) of each indicator over the snapshots: residents,
    services, the mean coverage share within :data:`TREND_THRESHOLD_MIN` minutes per
    profile, measures and contributions by status. "" with fewer than two snapshots."""
    if snapshots.empty or snapshots["taken_at"].nunique() < 2:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from geoquartier.reports.render import figure_svg

    panels = _panels(snapshots, tr)
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 7, "svg.fonttype": "path"}):
        fig, axes = plt.subplots(1, len(panels), figsize=(2.3 * len(panels), 1.9), squeeze=False)
        for ax, (title, series) in zip(axes[0], panels, strict=True):
            for name, values in series.items():
                ax.plot(values.index, values.to_numpy(), marker="o", label=name)
            ax.set_title(title)
            ax.tick_params(axis="x", labelrotation=45)
            if len(series) > 1:
                ax.legend(fontsize=6)
        fig.tight_layout()
        return figure_svg(fig)


def _panels(snapshots: pd.DataFrame, tr) -> list[tuple[str, dict[str, pd.Series]]]:
    frame = snapshots.copy()
    frame["date"] = frame["taken_at"].str.slice(0, 16).str.replace("T", " ")

    def series(part: pd.DataFrame, key: str | None) -> dict[str, pd.Series]:
        if part.empty:
            return {}
        if key is None:
            return {"": part.groupby("date")["value"].mean()}
        grouped = part.groupby([key, "date"])["value"].mean()
        return {tr(str(k).replace("_", " ")): grouped.loc[k] for k in part[key].unique()}

    ind = frame["indicator"]
    cov = frame[(ind == "coverage_share") & (frame["threshold_min"] == TREND_THRESHOLD_MIN)]
    cov = cov.assign(value=cov["value"] * 100)
    panels = [
        (tr("Residents"), series(frame[ind == "residents"], None)),
        (tr("Advisory services"), series(frame[ind == "services"], None)),
        (f"% · {tr('up to {minutes} min', minutes=TREND_THRESHOLD_MIN)}", series(cov, "profile")),
        (tr("Measures"), series(frame[ind == "measures"], "status")),
        (tr("Contributions"), series(frame[ind == "annotations"], "status")),
    ]
    return [(title, s) for title, s in panels if s]


def _register(con: sqlite3.Connection) -> None:
    """Make the table an ``attributes`` entry of ``gpkg_contents`` (GDAL/QGIS list it)."""
    has_contents = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='gpkg_contents'"
    ).fetchone()
    if has_contents:
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description, last_change) VALUES (?, 'attributes', ?, ?, "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
            (MONITORING_TABLE, MONITORING_TABLE, "dated indicator snapshots (append-only)"),
        )


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and value != value) else str(value)


def _real(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if value != value else value


def _locked(path: Path):
    """The workspace's lock file (the one the layer store and the scenarios use)."""
    from geoquartier.layers.store import workspace_lock

    return workspace_lock(path)
