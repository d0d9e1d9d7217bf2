"""The one settings object of geoquartier.

Every setting can be given as an environment variable ``GEOQUARTIER_<NAME>`` (or in a
``.env`` file in the working directory); nothing else in the package reads the
environment. Settings are read lazily, on the first call of :func:`get_settings`, and kept
until :func:`reload_settings` (tests, or ``geoquartier serve`` after it has set options).

Each row: setting — environment variable — default.

* data directory — ``GEOQUARTIER_DATA`` — ``../shared/data`` beside the checkout if
  present, else ``data/``
* cache directory — ``GEOQUARTIER_CACHE`` — ``.cache/`` in the checkout
* workspace GeoPackage — ``GEOQUARTIER_WORKSPACE`` — ``workspace/geoquartier.gpkg``
* layer database (PostgreSQL/PostGIS instead of the GeoPackage, e.g.
  ``postgresql://geoquartier@localhost/geoquartier``) — ``GEOQUARTIER_DATABASE_URL`` —
  none: the layers stay in the workspace GeoPackage
* PostgreSQL schema of the layer tables — ``GEOQUARTIER_DATABASE_SCHEMA`` — ``public``
* participation database on PostgreSQL (instead of the participation file) —
  ``GEOQUARTIER_PARTICIPATION_DATABASE_URL`` — ``GEOQUARTIER_DATABASE_URL`` when that is
  set, else none: the SQLite file below
* PostgreSQL schema of the participation tables — ``GEOQUARTIER_PARTICIPATION_SCHEMA`` —
  ``participation``
* quartier registry — ``GEOQUARTIER_REGISTRY`` — ``data/quartiers.toml``
* map output directory — ``GEOQUARTIER_MAPS`` — ``maps/``
* participation database — ``GEOQUARTIER_PARTICIPATION_DB`` — ``participation.sqlite``
  beside the workspace
* map assets — ``GEOQUARTIER_NODE_MODULES`` — ``node_modules/`` in the checkout
* submissions per client and minute (0 = off) — ``GEOQUARTIER_ANNOTATIONS_PER_MINUTE`` — 60
* request body of a submission (bytes) — ``GEOQUARTIER_ANNOTATION_MAX_BYTES`` — 65536
* text length (characters) — ``GEOQUARTIER_ANNOTATION_MAX_CHARS`` — 2000
* vertices of a drawn line or polygon — ``GEOQUARTIER_ANNOTATION_MAX_VERTICES`` — 500
* margin around the quartier boundary (m) — ``GEOQUARTIER_ANNOTATION_MARGIN_M`` — 50
* length of a drawn line (m) — ``GEOQUARTIER_ANNOTATION_MAX_LENGTH_M`` — 5000
* area of a drawn polygon (m²) — ``GEOQUARTIER_ANNOTATION_MAX_AREA_M2`` — 1000000
* proxies whose ``X-Forwarded-For`` is trusted (comma-separated addresses or networks) —
  ``GEOQUARTIER_TRUSTED_PROXIES`` — none: forwarded headers are ignored
* host names the server answers to (comma-separated, ``*`` = any) —
  ``GEOQUARTIER_ALLOWED_HOSTS`` — ``*``
* public base URL used in links — ``GEOQUARTIER_PUBLIC_URL`` — none: links use the
  request's host, checked against the allowed hosts
* online address lookup (opt-in: ``nominatim``) — ``GEOQUARTIER_GEOCODE`` — ``off``
* Nominatim endpoint — ``GEOQUARTIER_NOMINATIM_URL`` — the public Nominatim of the OSMF
  (usage policy: 1 request/s, a user agent naming the application, answers cached)
* seconds a client may take to send a request — ``GEOQUARTIER_REQUEST_TIMEOUT_S`` — 15
* request header size limit (bytes) — ``GEOQUARTIER_MAX_HEADER_BYTES`` — 16384

docs/architecture.md has the same table.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (the folder that holds ``pyproject.toml``)."""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Locations, limits and server options (units in the field names)."""

    model_config = SettingsConfigDict(
        env_prefix="GEOQUARTIER_", env_file=".env", extra="ignore", frozen=True
    )

    data: Path | None = None
    cache: Path | None = None
    workspace: Path | None = None
    registry: Path | None = None
    maps: Path | None = None
    participation_db: Path | None = None
    database_url: str | None = None
    database_schema: str = Field(default="public", min_length=1, max_length=63)
    participation_database_url: str | None = None
    participation_schema: str = Field(default="participation", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    node_modules: Path | None = None

    annotations_per_minute: NonNegativeInt = 60
    annotation_max_bytes: NonNegativeInt = 65_536
    annotation_max_chars: NonNegativeInt = 2_000
    annotation_max_vertices: NonNegativeInt = 500
    annotation_margin_m: NonNegativeFloat = 50.0
    annotation_max_length_m: NonNegativeFloat = 5_000.0
    annotation_max_area_m2: NonNegativeFloat = 1_000_000.0

    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    public_url: str | None = None
    geocode: Literal["off", "nominatim"] = "off"
    nominatim_url: str = "https://nominatim.openstreetmap.org"
    request_timeout_s: NonNegativeFloat = 15.0
    max_header_bytes: NonNegativeInt = 16_384

    @field_validator("database_url", "participation_database_url", mode="after")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL, e.g. postgresql://user@host/dbname")
        return value.strip()

    @field_validator("trusted_proxies", "allowed_hosts", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split_list(value)

    @field_validator(
        "data",
        "cache",
        "workspace",
        "registry",
        "maps",
        "participation_db",
        "node_modules",
        mode="after",
    )
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value is not None else None

    # ---- resolved locations ------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        """Folder with the input data (OSM extracts, Zensus grid, GTFS, boundaries)."""
        if self.data is not None:
            return self.data
        shared = PROJECT_ROOT.parent / "shared" / "data"
        return shared if shared.is_dir() else PROJECT_ROOT / "data"

    @property
    def cache_dir(self) -> Path:
        """Folder for caches (Overpass answers, walk networks as arrays)."""
        return self.cache or PROJECT_ROOT / ".cache"

    @property
    def workspace_path(self) -> Path:
        """The workspace GeoPackage that holds every layer of every imported quartier."""
        return self.workspace or PROJECT_ROOT / "workspace" / "geoquartier.gpkg"

    @property
    def registry_path(self) -> Path:
        """The quartier registry (TOML)."""
        return self.registry or PROJECT_ROOT / "data" / "quartiers.toml"

    @property
    def maps_dir(self) -> Path:
        """Folder for generated maps (not committed)."""
        return self.maps or PROJECT_ROOT / "maps"

    @property
    def participation_db_path(self) -> Path:
        """SQLite database of the participation workflow."""
        return self.participation_db or self.workspace_path.parent / "participation.sqlite"

    @property
    def participation_url(self) -> str | None:
        """PostgreSQL database of the participation workflow (None: the SQLite file)."""
        return self.participation_database_url or self.database_url

    @property
    def node_modules_dir(self) -> Path:
        """The ``node_modules`` folder holding the map assets (``npm ci``)."""
        return self.node_modules or PROJECT_ROOT / "node_modules"


_lock = threading.Lock()
_current: Settings | None = None


def get_settings() -> Settings:
    """The settings of this process, read from the environment on first use.

    Invalid values raise ``pydantic.ValidationError`` naming the variable.
    """
    global _current
    current = _current
    if current is not None:
        return current
    with _lock:
        if _current is None:
            _current = Settings()
        return _current


def reload_settings(**overrides: object) -> Settings:
    """Read the settings again (after the environment changed), applying ``overrides``."""
    global _current
    with _lock:
        _current = Settings(**overrides)
        return _current
