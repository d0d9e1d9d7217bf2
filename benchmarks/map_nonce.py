"""Cost per answer of the public map with a fresh CSP nonce (api.security.NoncedPage).

Builds the Lauf map (German) from the real data once, then times, per answer:

* baseline: compressing the whole page with a fresh nonce on every answer (gzip level 6,
  the straightforward way to give each answer its own nonce);
* NoncedPage.gzip: the pieces compressed once, joined with the deflated nonce attribute
  and a CRC over the page (what the API does);
* NoncedPage.html: the uncompressed page with the nonce (clients without gzip).

Before nonces, the API sent bytes compressed once per build (no work per answer).
Prints a markdown table with the median time per answer and its ratio to the baseline,
all measured in this process.

Usage::

    python benchmarks/map_nonce.py [--repeat 50] [--workspace existing.gpkg]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from pathlib import Path


def _workspace(path: str | None, tmp: Path) -> Path:
    if path:
        return Path(path)
    from geoquartier.importer import import_quartier
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.registry import get_quartier

    gpkg = tmp / "geoquartier.gpkg"
    import_quartier(get_quartier("lauf"), GeoPackageStore(gpkg), progress=False)
    return gpkg


def _median_ms(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--workspace", help="an existing workspace GeoPackage with Lauf")
    args = parser.parse_args()

    from api.security import NoncedPage, new_nonce
    from geoquartier.layers.store import GeoPackageStore
    from geoquartier.maps import build_quartier_map
    from geoquartier.maps.builder import map_html
    from geoquartier.registry import get_quartier

    with tempfile.TemporaryDirectory() as tmp:
        store = GeoPackageStore(_workspace(args.workspace, Path(tmp)))
        html = map_html(build_quartier_map(get_quartier("lauf"), lang="de", store=store))
    raw = html.encode("utf-8")
    once = gzip.compress(raw, compresslevel=6, mtime=0)
    start = time.perf_counter()
    page = NoncedPage(html)
    build_ms = (time.perf_counter() - start) * 1000
    nonce = new_nonce()
    assert gzip.decompress(page.gzip(nonce)) == page.html(nonce)

    rows = [
        (
            "baseline: gzip of the whole page per answer",
            lambda: gzip.compress(page.html(new_nonce()), compresslevel=6, mtime=0),
        ),
        ("NoncedPage.gzip (fresh nonce)", lambda: page.gzip(new_nonce())),
        ("NoncedPage.html (fresh nonce, no gzip)", lambda: page.html(new_nonce())),
    ]
    results = [(name, _median_ms(work, args.repeat)) for name, work in rows]
    base = results[0][1]
    print(
        f"\nLauf map (de): {len(raw) / 1e6:.2f} MB HTML, {len(once) / 1e3:.0f} kB gzip, "
        f"{page.script_tags} script tags; NoncedPage built once in {build_ms:.0f} ms; "
        f"median of {args.repeat} answers\n"
    )
    print("| per answer | median ms | × baseline |")
    print("|---|---:|---:|")
    for name, ms in results:
        print(f"| {name} | {ms:.3f} | {ms / base:.3f} |")
    sizes = f"{len(page.gzip(nonce)) / 1e3:.0f} kB (whole page at once: {len(once) / 1e3:.0f} kB)"
    print(f"\ngzip size with nonce: {sizes}")


if __name__ == "__main__":
    main()
