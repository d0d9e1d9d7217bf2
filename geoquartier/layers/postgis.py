"""The layer store on PostgreSQL/PostGIS: one table per layer, QGIS opens them directly.

Used instead of the GeoPackage when ``GEOQUARTIER_DATABASE_URL`` is set (see
:func:`geoquartier.layers.backend.get_layer_store`). Same interface and the same
semantics as :class:`geoquartier.layers.store.GeoPackageStore`:

* every layer is a table named like the layer (``offices``, ``services``, ...) with a
  ``fid`` identity primary key, the layer's columns with the types of the GeoPackage
  (text, bigint, double precision, boolean, timestamptz; ``languages`` as ``text[]``)
  and ``geom geometry(…, 4326)`` with a GiST index: an ordinary PostGIS layer;
* a write validates every frame first (:func:`geoquartier.layers.validate.validate`,
  the one place that knows the vocabularies) and then runs in one transaction: a
  rejected batch writes nothing, replacing one quartier's rows is atomic, readers see
  the old or the new rows, never a mix;
* writers of all processes are serialised by the row lock on the store's version
  counter (``geoquartier_store_state``), which also tells caches when to re-read.

Plain SQL through psycopg 3 (no ORM): the schema is generated from
:data:`geoquartier.layers.schema.LAYERS`, geometries travel as WKB
(``shapely.to_wkb`` / ``ST_GeomFromWKB``), and every statement stays readable in
the code and in ``pg_stat_activity``.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd
import shapely

from geoquartier.errors import GeoquartierError
from geoquartier.layers.migrations import MIGRATIONS_TABLE, Migration, now_text, pending
from geoquartier.layers.schema import LAYERS, POINT, STORAGE_CRS, LayerSchema, layer_schema
from geoquartier.layers.store import _empty, _with_quartier, check_ids_free
from geoquartier.layers.validate import validate

SRID = 4326
"""EPSG code of every geometry column (the storage CRS)."""
GEOMETRY_COLUMN = "geom"
"""Name of the geometry column, as in the GeoPackage."""
STATE_TABLE = "geoquartier_store_state"
"""One row: the store's change counter (bumped by every write; the writers' lock)."""

_SQL_TYPES = {
    "str": "text",
    "int": "bigint",
    "float": "double precision",
    "bool": "boolean",
    "datetime": "timestamptz",
    "languages": "text[]",
    "language": "text",
    "opening_hours": "text",
    "email": "text",
    "state": "text",
}
_BUMP_FUNCTION = "geoquartier_layer_changed"
"""Trigger function bumping the change counter after any statement on a layer table
(also edits made in QGIS), so the servers re-read the layer."""
_POOL_MAX = 8
"""Connections one store (one process) keeps open at most."""
_MIGRATION_LOCK = 7_203_115_001
"""Key of the advisory lock held while migrating (one migrator at a time)."""


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


class PostGISStore:
    """All layers of a workspace as PostGIS tables in ``schema`` of the database at ``url``.

    Every GeoDataFrame going in or out is in EPSG:4326 (degrees).
    """

    def __init__(self, url: str, schema: str = "public"):
        self.url = url
        self.schema = schema
        self._pool: Any = None
        self._pool_lock = threading.Lock()
        self._checked = False  # migrations verified (by upgrade) in this process
        self._has_tables = False  # the tables exist (schema version > 0), once seen

    @property
    def path(self) -> str:
        """Where the layers are, for messages (the URL without password, and the schema)."""
        return f"{redacted(self.url)} (schema {self.schema})"

    def __repr__(self) -> str:
        return f"PostGISStore({redacted(self.url)!r}, schema={self.schema!r})"

    # -- reading ------------------------------------------------------------------------
    def exists(self, layer: str | None = None) -> bool:
        """Whether the store has its tables, or (with ``layer``) whether that layer has rows."""
        if layer is None:
            return self._tables_exist()
        return layer in self.layers()

    def layers(self) -> list[str]:
        """Names of the layers holding at least one row (empty before ``db upgrade``)."""
        if not self._tables_exist():
            return []
        from psycopg import sql

        query = sql.SQL(" UNION ALL ").join(
            sql.SQL("SELECT {name} WHERE EXISTS (SELECT 1 FROM {table})").format(
                name=sql.Literal(layer), table=self._table(layer)
            )
            for layer in LAYERS
        )
        with self._connect() as conn:
            return [row[0] for row in conn.execute(query)]

    def version(self) -> tuple[int, ...]:
        """The store's change counter: differs after every write (for caches)."""
        if not self._tables_exist():
            return (0,)
        from psycopg import sql

        with self._connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT version FROM {}").format(self._table(STATE_TABLE))
            ).fetchone()
        return (int(row[0]),)

    def read(
        self,
        layer: str,
        quartier: str | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Read ``layer`` (optionally one quartier, optionally within ``bbox``).

        ``bbox`` is (min lon, min lat, max lon, max lat) in EPSG:4326 degrees; features
        intersecting it are returned. Returns a GeoDataFrame in EPSG:4326 typed exactly
        like :func:`validate` returns it, rows in the order they were written.
        """
        schema = layer_schema(layer)
        if bbox is not None and len(bbox) != 4:
            raise GeoquartierError("bbox must be (min lon, min lat, max lon, max lat)")
        if not self._tables_exist():
            return validate(_empty(layer), layer)
        query, params = self._select(schema, quartier, bbox)
        with self._connect() as conn:
            rows = conn.execute(query, params).fetchall()
        return validate(_frame(schema, rows), layer)

    def schema_version(self) -> int:
        """The highest migration applied to this store (0: no tables yet)."""
        with self._connect() as conn:
            version = _schema_version(conn, self.schema)
        self._has_tables = version > 0
        return version

    def _tables_exist(self) -> bool:
        return self._has_tables or self.schema_version() > 0

    # -- writing ------------------------------------------------------------------------
    def write(self, layer: str, gdf: gpd.GeoDataFrame, quartier: str | None = None) -> int:
        """Validate ``gdf`` and store it as ``layer``; returns the number of features written.

        Semantics as :meth:`geoquartier.layers.store.GeoPackageStore.write`.
        """
        return self.write_many({layer: gdf}, quartier=quartier)[layer]

    def write_many(
        self, frames: Mapping[str, gpd.GeoDataFrame], quartier: str | None = None
    ) -> dict[str, int]:
        """Write several layers all-or-nothing (one transaction); returns counts per layer.

        Every frame is validated before the database is touched; a ``ValidationError``
        in any layer (also an id already used by another quartier) writes nothing.
        """
        validated: dict[str, gpd.GeoDataFrame] = {}
        for layer, gdf in frames.items():
            layer_schema(layer)
            if quartier is not None:
                gdf = _with_quartier(layer, gdf, quartier)
            validated[layer] = validate(gdf, layer)
        with self._writing() as conn:
            for layer, gdf in validated.items():
                self._replace_rows(conn, layer, gdf, quartier)
        return {layer: len(gdf) for layer, gdf in validated.items()}

    def delete(self, layer: str, quartier: str | None = None) -> None:
        """Remove a quartier's rows from ``layer`` (or all its rows); one transaction."""
        layer_schema(layer)
        with self._writing() as conn:
            self._delete_rows(conn, layer, quartier)

    def replace_all(self, frames: Mapping[str, gpd.GeoDataFrame]) -> dict[str, int]:
        """Make the store hold exactly ``frames`` (other layers emptied); one transaction."""
        validated = {layer: validate(gdf, layer) for layer, gdf in frames.items()}
        with self._writing() as conn:
            for layer in LAYERS:
                self._delete_rows(conn, layer, None)
            for layer, gdf in validated.items():
                self._insert(conn, layer, gdf)
        return {layer: len(gdf) for layer, gdf in validated.items()}

    # -- migrations ---------------------------------------------------------------------
    def upgrade(self) -> list[Migration]:
        """Apply the pending migrations (one transaction); returns those applied.

        Needs the ``postgis`` extension in the database (created here when the role may).
        """
        with self._connect() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            todo = pending(_schema_version(conn, self.schema))
            if todo:
                _ensure_postgis(conn)
            for migration in todo:
                _STEPS[migration.version](conn, self.schema)
                conn.execute(
                    _sql(
                        "INSERT INTO {} (version, name, applied_at) VALUES (%s, %s, %s)",
                        self._table(MIGRATIONS_TABLE),
                    ),
                    (migration.version, migration.name, now_text()),
                )
        self._checked = self._has_tables = True
        return todo

    # -- internals ----------------------------------------------------------------------
    def close(self) -> None:
        """Close the store's connections (also done at exit)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        """A pooled connection whose block is one transaction (committed, or rolled back)."""
        import psycopg
        import psycopg_pool

        connected = False
        try:
            with self._connections().connection() as conn:
                connected = True
                yield conn
        except (psycopg.OperationalError, psycopg_pool.PoolTimeout) as exc:
            if connected:
                raise
            raise GeoquartierError(
                f"cannot connect to the layer database {redacted(self.url)}: {_reason(exc)}"
            ) from None

    def _connections(self) -> Any:
        """The connection pool, opened on first use (connections are reused: a server
        checks the change counter on every request)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = _open_pool(self.url)
                atexit.register(self.close)
            return self._pool

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """One write transaction; an id taken meanwhile by an edit outside geoquartier
        (QGIS) rolls it back with a one-line error instead of a database traceback."""
        import psycopg

        if not self._checked:
            self.upgrade()
        try:
            with self._connect() as conn:
                conn.execute(
                    _sql("UPDATE {} SET version = version + 1", self._table(STATE_TABLE))
                )  # the row lock serialises the writers of every process until commit
                yield conn
        except psycopg.errors.UniqueViolation as exc:
            detail = exc.diag.message_detail or str(exc).splitlines()[0]
            raise GeoquartierError(
                f"nothing was written: {detail} (changed by another program meanwhile; try again)"
            ) from None

    def _table(self, name: str) -> Any:
        from psycopg import sql

        return sql.Identifier(self.schema, name)

    def _select(
        self, schema: LayerSchema, quartier: str | None, bbox: tuple[float, ...] | None
    ) -> tuple[Any, list[Any]]:
        from psycopg import sql

        conditions: list[Any] = []
        params: list[Any] = []
        if quartier is not None:
            conditions.append(sql.SQL("quartier = %s"))
            params.append(str(quartier))
        if bbox is not None:
            envelope = sql.SQL("ST_MakeEnvelope(%s, %s, %s, %s, {})").format(sql.Literal(SRID))
            conditions.append(
                sql.SQL("{g} && {e} AND ST_Intersects({g}, {e})").format(
                    g=sql.Identifier(GEOMETRY_COLUMN), e=envelope
                )
            )
            params.extend([float(v) for v in bbox] * 2)
        where = (
            sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
        )
        query = sql.SQL("SELECT {cols}, ST_AsBinary({g}) FROM {table}{where} ORDER BY fid").format(
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in schema.columns),
            g=sql.Identifier(GEOMETRY_COLUMN),
            table=self._table(schema.name),
            where=where,
        )
        return query, params

    def _replace_rows(
        self, conn: Any, layer: str, gdf: gpd.GeoDataFrame, quartier: str | None
    ) -> None:
        self._delete_rows(conn, layer, quartier)
        if quartier is not None and len(gdf):
            taken = {
                row[0]
                for row in conn.execute(
                    _sql("SELECT id FROM {} WHERE id = ANY(%s)", self._table(layer)),
                    (list(gdf["id"]),),
                )
            }
            check_ids_free(layer, gdf["id"], taken)
        self._insert(conn, layer, gdf)

    def _delete_rows(self, conn: Any, layer: str, quartier: str | None) -> None:
        if quartier is None:
            conn.execute(_sql("DELETE FROM {}", self._table(layer)))
        else:
            conn.execute(
                _sql("DELETE FROM {} WHERE quartier = %s", self._table(layer)), (quartier,)
            )

    def _insert(self, conn: Any, layer: str, gdf: gpd.GeoDataFrame) -> None:
        if len(gdf) == 0:
            return
        from psycopg import sql

        schema = layer_schema(layer)
        columns = [*schema.columns, GEOMETRY_COLUMN]
        query = sql.SQL(
            "INSERT INTO {table} ({cols}) VALUES ({values}, ST_GeomFromWKB(%s, {srid}))"
        )
        query = query.format(
            table=self._table(layer),
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            values=sql.SQL(", ").join(sql.Placeholder() for _ in schema.columns),
            srid=sql.Literal(SRID),
        )
        with conn.cursor() as cur:
            cur.executemany(query, _rows(schema, gdf))


def _open_pool(url: str) -> Any:
    import psycopg
    import psycopg_pool

    try:  # try once directly, so a wrong URL fails now with the server's reason
        psycopg.connect(url, connect_timeout=10).close()
    except psycopg.OperationalError as exc:
        raise GeoquartierError(
            f"cannot connect to the layer database {redacted(url)}: {_reason(exc)}"
        ) from None
    pool = psycopg_pool.ConnectionPool(
        url,
        min_size=1,
        max_size=_POOL_MAX,
        kwargs={"connect_timeout": 10},
        check=psycopg_pool.ConnectionPool.check_connection,
        timeout=30,
        open=False,
    )
    pool.open(wait=True, timeout=15)
    return pool


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1] if text else type(exc).__name__


def _sql(template: str, *identifiers: Any) -> Any:
    from psycopg import sql

    return sql.SQL(template).format(*identifiers)


def _schema_version(conn: Any, schema: str) -> int:
    found = conn.execute(
        "SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))", (schema, MIGRATIONS_TABLE)
    ).fetchone()[0]
    if found is None:
        return 0
    from psycopg import sql

    query = sql.SQL("SELECT max(version) FROM {}").format(sql.Identifier(schema, MIGRATIONS_TABLE))
    return int(conn.execute(query).fetchone()[0] or 0)


def _ensure_postgis(conn: Any) -> None:
    import psycopg

    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error:
        raise GeoquartierError(
            "the layer database lacks PostGIS and this role may not add it: run "
            "'CREATE EXTENSION postgis;' in it as a superuser, then 'geoquartier db upgrade'"
        ) from None


def _frame(schema: LayerSchema, rows: list[tuple[Any, ...]]) -> gpd.GeoDataFrame:
    """Rows of ``SELECT <columns>, ST_AsBinary(geom)`` as a GeoDataFrame in EPSG:4326."""
    if not rows:
        return _empty(schema.name)
    columns = list(zip(*rows, strict=True))
    data = {name: list(values) for name, values in zip(schema.columns, columns, strict=False)}
    geometry = shapely.from_wkb([None if g is None else bytes(g) for g in columns[-1]])
    return gpd.GeoDataFrame(data, geometry=geometry, crs=STORAGE_CRS)


def _rows(schema: LayerSchema, gdf: gpd.GeoDataFrame) -> Iterator[list[Any]]:
    """Parameters of each INSERT: plain Python values (None for nulls) and the WKB."""
    columns = [_python_values(gdf[name]) for name in schema.columns]
    wkb = shapely.to_wkb(gdf.geometry.values)
    for i in range(len(gdf)):
        yield [column[i] for column in columns] + [wkb[i]]


def _python_values(series: pd.Series) -> list[Any]:
    values = series.astype(object).tolist()
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.append(v)
        elif v is None or v is pd.NA or v is pd.NaT:
            out.append(None)
        elif isinstance(v, pd.Timestamp):
            out.append(v.to_pydatetime())
        else:
            out.append(v)
    return out


# -- migration steps ----------------------------------------------------------------------


def _create_layer_table(conn: Any, schema: str, layer: LayerSchema) -> None:
    from psycopg import sql

    geometry_type = "Point" if layer.geometry_types == POINT else "Geometry"
    columns = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(f.name),
            sql.SQL(_SQL_TYPES[f.kind]),
            sql.SQL(" NOT NULL" if f.name in ("id", "quartier") else ""),
        )
        for f in layer.all_fields
    ]
    table = sql.Identifier(schema, layer.name)
    conn.execute(
        sql.SQL(
            "CREATE TABLE {table} (fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "{columns}, {geom} geometry({gtype}, {srid}))"
        ).format(
            table=table,
            columns=sql.SQL(", ").join(columns),
            geom=sql.Identifier(GEOMETRY_COLUMN),
            gtype=sql.SQL(geometry_type),
            srid=sql.Literal(SRID),
        )
    )
    for suffix, definition in (
        ("id_key", sql.SQL("UNIQUE INDEX {} ON {} (id)")),
        ("quartier_idx", sql.SQL("INDEX {} ON {} (quartier)")),
        ("geom_idx", sql.SQL("INDEX {} ON {} USING gist (" + GEOMETRY_COLUMN + ")")),
    ):
        name = sql.Identifier(f"{layer.name}_{suffix}")
        conn.execute(sql.SQL("CREATE ") + definition.format(name, table))
    conn.execute(
        sql.SQL(
            "CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {bump}()"
        ).format(
            name=sql.Identifier(f"{layer.name}_changed"),
            table=table,
            bump=sql.Identifier(schema, _BUMP_FUNCTION),
        )
    )


def _postgis_v1(conn: Any, schema: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    conn.execute(
        _sql(
            "CREATE TABLE {} (version integer PRIMARY KEY, name text NOT NULL, "
            "applied_at text NOT NULL)",
            sql.Identifier(schema, MIGRATIONS_TABLE),
        )
    )
    conn.execute(
        _sql(
            "CREATE TABLE {} (one boolean PRIMARY KEY DEFAULT true CHECK (one), "
            "version bigint NOT NULL)",
            sql.Identifier(schema, STATE_TABLE),
        )
    )
    conn.execute(_sql("INSERT INTO {} (version) VALUES (1)", sql.Identifier(schema, STATE_TABLE)))
    conn.execute(
        sql.SQL(
            "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE {state} SET version = version + 1; RETURN NULL; END $$"
        ).format(
            function=sql.Identifier(schema, _BUMP_FUNCTION),
            state=sql.Identifier(schema, STATE_TABLE),
        )
    )
    for layer in LAYERS.values():
        _create_layer_table(conn, schema, layer)


def _postgis_v2(conn: Any, schema: str) -> None:
    from psycopg import sql

    conn.execute(
        sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} text").format(
            sql.Identifier(schema, "measures"), sql.Identifier("scenario_id")
        )
    )


_STEPS = {1: _postgis_v1, 2: _postgis_v2}
