"""Writing the maps of several quartiers and languages in one go (the demo's maps)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm import tqdm

from geoquartier.maps.builder import OSM_TILE_URL, build_quartier_map, save_map
from geoquartier.maps.data import gather_map_data
from geoquartier.maps.i18n import LANGUAGES, check_language

DEMO_QUARTIERS = ("neu-olvenstedt", "lauf", "dreieich")
"""The model quartiers of the demo: Neu Olvenstedt (estimate mode), Lauf and Dreieich (network)."""


def map_filename(
    quartier: str, lang: str, profile: str = "standard", category: str | None = None
) -> str:
    """``<quartier>[-<profile>][-<category>].<lang>.html`` — siblings differ only in ``lang``."""
    parts = [quartier]
    if profile != "standard":
        parts.append(profile)
    if category:
        parts.append(category)
    return f"{'-'.join(parts)}.{lang}.html"


def sibling_hrefs(output: Path, lang: str) -> dict[str, str]:
    """Links of the language switch for a map written to ``output`` in ``lang``.

    A name ending in ``.<lang>.html`` links to the same name with the other languages;
    any other name links to ``<stem>.<other>.html`` (and to itself for ``lang``).
    """
    name = output.name
    suffix = f".{lang}.html"
    base = name[: -len(suffix)] if name.endswith(suffix) else output.stem
    hrefs = {other: f"{base}.{other}.html" for other in LANGUAGES}
    hrefs[lang] = name
    return hrefs


def build_quartier_maps(
    quartier: str,
    out_dir: str | Path,
    langs: tuple[str, ...] | list[str] = LANGUAGES,
    *,
    profile: str = "standard",
    category: str | None = None,
    store: Any = None,
    tile_url: str | None = OSM_TILE_URL,
    progress: bool = False,
) -> list[Path]:
    """One quartier's map in each of ``langs`` under ``out_dir``; returns the paths.

    The layers and walking results are gathered once (importing the quartier into the
    workspace ``store`` first if needed) and drawn per language.
    """
    for lang in langs:
        check_language(lang)
    data = gather_map_data(
        quartier, profile=profile, category=category, store=store, progress=progress
    )
    out_dir = Path(out_dir)
    paths = []
    for lang in langs:
        path = out_dir / map_filename(quartier, lang, profile, category)
        m = build_quartier_map(
            data, lang=lang, tile_url=tile_url, language_href=sibling_hrefs(path, lang)
        )
        paths.append(save_map(m, path))
    return paths


def build_all_maps(
    out_dir: str | Path,
    langs: tuple[str, ...] | list[str] = LANGUAGES,
    quartiers: tuple[str, ...] | list[str] = DEMO_QUARTIERS,
    *,
    store: Any = None,
    tile_url: str | None = OSM_TILE_URL,
    progress: bool = True,
) -> list[Path]:
    """The maps of ``quartiers`` (default: the demo quartiers) in every language of
    ``langs`` under ``out_dir``, as standalone HTML files; returns their paths."""
    paths: list[Path] = []
    for quartier in tqdm(list(quartiers), desc="maps", unit="quartier", disable=not progress):
        paths += build_quartier_maps(quartier, out_dir, langs, store=store, tile_url=tile_url)
    return paths
