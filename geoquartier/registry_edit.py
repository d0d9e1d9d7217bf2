"""Adding and removing quartiers in the registry file, keeping its comments and order.

:func:`prepare_quartier` checks everything a planner gives for a new quartier — id, state,
OSM file, boundary (a GeoJSON/GeoPackage file, or a named boundary polygon of the OSM
file), offices and their opening hours, a Zensus grid — and builds the registry entry
without writing anything. :func:`add_quartier` then appends it to the registry file and
:func:`remove_quartier` takes one quartier out again.

Edits keep the file as it was everywhere else: the new entry is written by ``tomlkit``
(the style-preserving TOML library) and appended after the last quartier with a
separator line; a removal cuts out exactly the quartier's tables (its own header tables,
sub-tables and offices, and the separator rule line directly above them) and keeps every
comment that belongs to other quartiers. Both check the result by reading it back
(``tomllib``): everything except the one quartier must be unchanged, or nothing is
written. The file is replaced atomically (written beside, then renamed), so an error
leaves it byte-for-byte as it was.

Geometries are EPSG:4326.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoquartier.errors import DataMissingError, GeoquartierError
from geoquartier.registry import _check_entry, registry_value_for

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""A quartier id: lower-case letters and digits in words joined by single hyphens."""

SEPARATOR = "# " + "-" * 87
"""The rule line written above each new quartier (as between the entries of the file)."""

NEW_REGISTRY_HEADER = """# geoquartier — quartier registry
#
# One [quartiers.<id>] table per quartier; see docs/registry.md for the keys.
# Written by 'geoquartier quartiers add'; comments and order are kept by later edits.
"""

_RULE = re.compile(r"^\s*#[\s#\-=*_~]*$")
_HEADER = re.compile(r"^\s*\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(?:#.*)?$")


class RegistryEditError(GeoquartierError):
    """An add or remove that cannot be done; the registry file is left untouched."""


@dataclass
class NewQuartier:
    """What a planner gives for a new quartier (paths as typed; checked by
    :func:`prepare_quartier`)."""

    id: str
    name: str
    city: str
    state: str
    osm: Path
    boundary: Path | None = None
    admin: str | None = None
    admin_level: str | None = None
    admin_id: str | None = None
    offices: list[str] = field(default_factory=list)
    programme: str | None = None
    population: int | None = None
    zensus: Path | None = None
    boundary_quality: str | None = None


@dataclass
class PreparedQuartier:
    """A checked registry entry, ready to be written: the TOML ``entry`` (a dict),
    a boundary to write first (from ``--admin``: geometry in EPSG:4326, target path and
    GeoJSON properties) and readable ``lines`` describing it."""

    id: str
    entry: dict[str, Any]
    boundary_file: tuple[Any, Path, dict[str, Any]] | None = None
    lines: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------
# Reading the registry file
# ----------------------------------------------------------------------------------------
def _registry_text(path: Path) -> str | None:
    """The registry's text, None when the file does not exist yet."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise RegistryEditError(f"registry {path} is not UTF-8 text ({exc.reason})") from None


def _quartiers_of(text: str | None, path: Path) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryEditError(f"registry {path} is not valid TOML: {exc}") from None
    quartiers = data.get("quartiers", {})
    if not isinstance(quartiers, dict):
        raise RegistryEditError(f"registry {path}: 'quartiers' is not a table")
    return quartiers


# ----------------------------------------------------------------------------------------
# Checking a new quartier
# ----------------------------------------------------------------------------------------
def slug(text: str) -> str:
    """``"Stadtteilbüro Marxloh"`` → ``"stadtteilbuero-marxloh"``."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}))
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _check_id(qid: str, taken: dict[str, Any], path: Path) -> None:
    if not ID_PATTERN.match(qid or ""):
        suggestion = slug(qid or "")
        hint = f", e.g. {suggestion!r}" if suggestion else ""
        raise RegistryEditError(
            f"quartier id {qid!r} is not a slug: use lower-case letters, digits and single "
            f"hyphens{hint}"
        )
    if qid in taken:
        raise RegistryEditError(
            f"quartier id {qid!r} is already in the registry {path}; choose another id or "
            f"remove it first (geoquartier quartiers remove {qid})"
        )


def _check_state(state: str) -> str:
    from geoquartier.layers.schema import GERMAN_STATES

    code = str(state).strip().upper()
    if code not in GERMAN_STATES:
        raise RegistryEditError(
            f"--state {state!r} is not a German state; expected ISO 3166-2: "
            + ", ".join(GERMAN_STATES)
        )
    return code


def _check_osm(path: Path) -> Path:
    from geoquartier.layers.sources import osm
    from geoquartier.layers.sources.boundary import osm_file_bounds

    path = Path(path).expanduser()
    if not path.is_file():
        raise DataMissingError(f"--osm file {path} not found")
    osm._suffix_kind(path)  # raises for an unknown suffix
    osm_file_bounds(path)  # raises when the file is not readable OSM data
    return path.resolve()


def parse_office(text: str, state: str) -> dict[str, str]:
    """``"Name; Address; Hours"`` → name, address and opening_hours (address and hours may
    be left out; the hours may themselves contain ``;``). Hours must be valid OSM
    ``opening_hours``; the address must look like ``Street 1, [postcode] City``."""
    from geoquartier.layers.opening_hours import validate_opening_hours
    from geoquartier.layers.sources.addresses import parse_address

    name, _, rest = (p.strip() for p in str(text).partition(";"))
    address, _, hours = (p.strip() for p in rest.partition(";"))
    if not name:
        raise RegistryEditError(f"--office {text!r}: give at least a name ('Name; Address; Hours')")
    office = {"name": name}
    if address:
        query = parse_address(address)
        if not query.housenumber and not query.city:
            raise RegistryEditError(
                f"--office {name!r}: address {address!r} should look like 'Street 1, 12345 City'"
            )
        office["address"] = address
    if hours:
        problem = validate_opening_hours(hours)
        if problem is not None:
            raise RegistryEditError(
                f"--office {name!r}: opening hours {hours!r} are not valid OSM opening_hours "
                f"({problem}); e.g. 'Mo-Fr 09:00-12:00; PH off'"
            )
        office["opening_hours"] = hours
    return office


def _office_entries(qid: str, texts: list[str], state: str) -> list[dict[str, Any]]:
    entries, ids = [], set()
    for text in texts:
        office = parse_office(text, state)
        base = f"{qid}-{slug(office['name'])}".strip("-")
        office_id, n = base, 2
        while office_id in ids:
            office_id, n = f"{base}-{n}", n + 1
        ids.add(office_id)
        entry = {"id": office_id, **office}
        if "address" in office:
            entry["location"] = {"address": office["address"]}
        entries.append(entry)
    return entries


def _boundary_from_file(new: NewQuartier, registry_file: Path):
    from geoquartier.layers.sources.boundary import area_km2, read_boundary

    path = Path(new.boundary).expanduser()
    geometry = read_boundary(path)
    value = registry_value_for(path, registry_file)
    line = f"boundary: {path.name}, {area_km2(geometry):.2f} km², stored as {value!r}"
    return geometry, value, None, new.boundary_quality or "planning_area", line


def _boundary_from_osm(new: NewQuartier, osm_path: Path, registry_file: Path):
    from geoquartier.layers.sources.boundary import choose_osm_area, find_osm_areas

    areas = find_osm_areas(osm_path, new.admin)
    area = choose_osm_area(areas, new.admin, osm_path, new.admin_level, new.admin_id)
    target = registry_file.expanduser().resolve().parent / "boundaries" / f"{new.id}.geojson"
    value = registry_value_for(target, registry_file)
    properties = {
        "name": area.name,
        "source": f"OpenStreetMap {area.ref} in {osm_path.name}",
        "kind": area.kind,
        "attribution": "© OpenStreetMap contributors, ODbL 1.0",
    }
    others = [a.describe() for a in areas if a is not area]
    line = f"boundary: {area.name!r}, OSM {area.describe()}, written to {value!r}"
    if others:
        line += f" (also named so: {'; '.join(others)})"
    quality = "official" if area.kind.startswith(("admin", "boundary")) else "planning_area"
    return area.geometry, value, (area.geometry, target, properties), quality, line


def _boundary(new: NewQuartier, osm_path: Path, registry_file: Path):
    """(geometry, registry value, file to write or None, boundary_quality, summary line)."""
    if (new.boundary is None) == (new.admin is None):
        raise RegistryEditError("give the boundary either as --boundary FILE or as --admin NAME")
    if new.boundary is not None:
        return _boundary_from_file(new, registry_file)
    return _boundary_from_osm(new, osm_path, registry_file)


def _check_overlap(geometry, osm_path: Path) -> None:
    from shapely.geometry import box

    from geoquartier.layers.sources.boundary import osm_file_bounds

    bounds = osm_file_bounds(osm_path)
    if bounds is not None and not geometry.intersects(box(*bounds)):
        raise RegistryEditError(
            f"the boundary {tuple(round(v, 4) for v in geometry.bounds)} lies outside the area "
            f"of the OSM file {osm_path.name} {tuple(round(v, 4) for v in bounds)}"
        )


def _zensus_source(path: Path, registry_file: Path) -> tuple[str, str]:
    from geoquartier.layers.sources.zensus import CSV_SUFFIXES

    path = Path(path).expanduser()
    if not path.is_file():
        raise DataMissingError(f"--zensus file {path} not found")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        key = "zensus_csv"
    elif suffix in (".geojson", ".json", ".gpkg"):
        key = "zensus"
    else:
        raise RegistryEditError(
            f"--zensus file {path}: expected the Destatis CSV (.csv/.zip) or a grid "
            "GeoJSON/GeoPackage"
        )
    return key, registry_value_for(path, registry_file)


def prepare_quartier(new: NewQuartier, registry_file: Path) -> PreparedQuartier:
    """Check every part of ``new`` against the registry file and the data; returns the
    entry to write. Raises :class:`GeoquartierError` (one line, naming the option or file)
    on the first problem; nothing is written."""
    taken = _quartiers_of(_registry_text(registry_file), registry_file)
    _check_id(new.id, taken, registry_file)
    for option, value in (("--name", new.name), ("--city", new.city)):
        if not str(value or "").strip():
            raise RegistryEditError(f"{option} is empty")
    state = _check_state(new.state)
    osm_path = _check_osm(new.osm)
    geometry, boundary_value, boundary_file, quality, boundary_line = _boundary(
        new, osm_path, registry_file
    )
    _check_overlap(geometry, osm_path)
    offices = _office_entries(new.id, new.offices, state)
    entry: dict[str, Any] = {"name": new.name.strip(), "city": new.city.strip(), "state": state}
    if new.programme:
        entry["programme"] = new.programme.strip()
    entry["mode"] = "network"
    entry["boundary_quality"] = quality
    if new.population is not None:
        if new.population < 0:
            raise RegistryEditError("--population must be a whole number of residents (≥ 0)")
        entry["population"] = int(new.population)
    sources = {
        "boundary": boundary_value,
        "osm_extract": registry_value_for(osm_path, registry_file),
    }
    if new.zensus is not None:
        key, value = _zensus_source(new.zensus, registry_file)
        sources[key] = value
    entry["sources"] = sources
    if offices:
        entry["offices"] = offices
    _check_entry(new.id, entry)  # the registry's own checks, before anything is written
    lines = [
        f"{new.id}: {entry['name']} — {entry['city']}, {state}",
        f"  {boundary_line}",
        f"  OpenStreetMap: {osm_path.name} (osm_extract {sources['osm_extract']!r})",
    ]
    for office in offices:
        where = office.get("address") or "no address (listed, not drawn)"
        hours = office.get("opening_hours") or "hours not given"
        lines.append(f"  office: {office['name']} — {where}; {hours}")
    return PreparedQuartier(new.id, entry, boundary_file, lines)


# ----------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------
def entry_toml(qid: str, entry: dict[str, Any]) -> str:
    """The TOML text of one quartier (``[quartiers.<id>]`` with its sources and offices),
    written by tomlkit."""
    import tomlkit

    table = tomlkit.table()
    for key, value in entry.items():
        if key == "offices":
            offices = tomlkit.aot()
            for office in value:
                item = tomlkit.table()
                for okey, ovalue in office.items():
                    item[okey] = _toml_value(ovalue, tomlkit.inline_table)
                offices.append(item)
            table["offices"] = offices
        else:
            table[key] = _toml_value(value, tomlkit.table)
    quartiers = tomlkit.table(is_super_table=True)
    quartiers.append(qid, table)
    document = tomlkit.document()
    document.append("quartiers", quartiers)
    return tomlkit.dumps(document)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _verify(text: str, expected: dict[str, Any], path: Path) -> None:
    """The edited text must hold exactly ``expected`` as its quartiers."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # pragma: no cover - a bug, not a user error
        raise RegistryEditError(f"registry {path}: the edit would break the file ({exc})") from None
    if data.get("quartiers", {}) != expected:
        raise RegistryEditError(
            f"registry {path}: the edit would change other entries; edit the file by hand"
        )


def add_quartier(registry_file: Path, prepared: PreparedQuartier) -> None:
    """Append ``prepared`` to the registry file (created if missing); the boundary from
    ``--admin`` is written first. All or nothing: on an error the registry is unchanged."""
    text = _registry_text(registry_file)
    before = _quartiers_of(text, registry_file)
    if prepared.id in before:
        raise RegistryEditError(f"quartier id {prepared.id!r} is already in {registry_file}")
    base = NEW_REGISTRY_HEADER if text is None else text
    if base and not base.endswith("\n"):
        base += "\n"
    addition = f"{SEPARATOR}\n{entry_toml(prepared.id, prepared.entry)}"
    new_text = f"{base}\n{addition}" if base.strip() else addition
    _verify(
        new_text,
        {**before, prepared.id: tomllib.loads(addition)["quartiers"][prepared.id]},
        registry_file,
    )
    written = None
    if prepared.boundary_file is not None:
        from geoquartier.layers.sources.boundary import write_boundary

        geometry, target, properties = prepared.boundary_file
        write_boundary(geometry, target, properties)
        written = target
    try:
        _write_atomically(registry_file, new_text)
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise


def _header_key(line: str) -> str | None:
    match = _HEADER.match(line)
    if not match:
        return None
    return re.sub(r"\s*\.\s*", ".", match["key"]).replace('"', "").replace("'", "")


def _belongs(key: str | None, qid: str) -> bool:
    return key is not None and (key == f"quartiers.{qid}" or key.startswith(f"quartiers.{qid}."))


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _removal_mask(lines: list[str], qid: str) -> list[bool]:
    """Which lines make up the quartier: its tables up to the next other table, without
    the comment block that stands directly above that next table, plus the rule line
    (``# ----``) and its blank line directly above the quartier's first table."""
    keys = [_header_key(line) for line in lines]
    remove = [False] * len(lines)
    owner = False
    for i, key in enumerate(keys):
        if key is not None:
            owner = _belongs(key, qid)
        remove[i] = owner
    # give the comment block above a following table back to that table
    for i, key in enumerate(keys):
        if key is None or _belongs(key, qid):
            continue
        j = i - 1
        while j >= 0 and remove[j] and keys[j] is None and _is_comment_or_blank(lines[j]):
            remove[j] = False
            j -= 1
    # the rule line(s) right above the quartier's first table go with it
    first = next((i for i, k in enumerate(keys) if _belongs(k, qid)), None)
    j = (first or 0) - 1
    while first is not None and j >= 0 and _RULE.match(lines[j]) and lines[j].strip():
        remove[j] = True
        j -= 1
    if first is not None and j >= 0 and not lines[j].strip() and j + 1 < first:
        remove[j] = True
    return remove


def remove_quartier(registry_file: Path, qid: str) -> None:
    """Take quartier ``qid`` out of the registry file; every other line stays as it is.
    Raises :class:`GeoquartierError` for an unknown id (the file is unchanged)."""
    text = _registry_text(registry_file)
    if text is None:
        raise DataMissingError(f"quartier registry {registry_file} not found")
    before = _quartiers_of(text, registry_file)
    if qid not in before:
        known = ", ".join(before) or "none"
        raise RegistryEditError(f"unknown quartier {qid!r} in {registry_file}; known: {known}")
    lines = text.splitlines(keepends=True)
    mask = _removal_mask(lines, qid)
    new_text = "".join(line for line, drop in zip(lines, mask, strict=True) if not drop)
    expected = {k: v for k, v in before.items() if k != qid}
    _verify(new_text, expected, registry_file)
    _write_atomically(registry_file, new_text)


def _toml_value(value, table_type):
    """``value`` for a tomlkit document: a dict becomes a ``table_type()`` (a table or an
    inline table) holding its items; anything else stays as it is."""
    if not isinstance(value, dict):
        return value
    table = table_type()
    table.update(value)
    return table
