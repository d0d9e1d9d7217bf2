"""Benchmark of the paper documents for Lauf an der Pegnitz (real data, offline).

Imports Lauf into a temporary workspace (not timed), then times, after one warm-up of each:

* baseline: reading the quartier for the documents (``collect_document_data``: layers from
  the GeoPackage, the cached walk network, walking minutes office → services);
* the workshop map (``geoquartier print``): A3 landscape and A4 portrait, German;
* the offer flyer (``geoquartier flyer``), Romanian;
* the local-mobility report (``geoquartier report``), German, PDF and HTML;
* the event documentation for the funder (``geoquartier events report``), German, for an
  event with a few contributions labelled synthetic (the data has none).

Each document row includes reading the data, as the CLI does. Prints one markdown table:
median seconds of ``--repeat`` runs, the target, and the ratio to the baseline.

    python benchmarks/documents.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from geoquartier.importer import import_quartier
from geoquartier.layers.store import GeoPackageStore
from geoquartier.registry import load_registry
from geoquartier.reports.data import collect_document_data
from geoquartier.reports.flyer import flyer_pdf
from geoquartier.reports.report import write_report
from geoquartier.reports.workshop import workshop_map_pdf

BASE_URL = "https://quartier.example.org"


def _median_s(fn, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _event_case(spec, store, out: Path):
    """A participation database with one walk in Lauf and four approved contributions,
    each labelled synthetic; returns the function that writes its documentation PDF."""
    from shapely.geometry import LineString, Point

    from api.participation import documentation_store
    from api.participation.event_documentation import event_report_pdf
    from api.participation.store import open_store

    db = open_store(out / "p.sqlite")
    user, _ = db.add_user("benchmark", "planner")
    walk = LineString([(11.2760, 49.5090), (11.2830, 49.5120)])
    event = db.add_event("lauf", "Spaziergang (synthetic)", "2026-12-05T10:00:00+01:00", walk)
    for i, kind in enumerate(("idea", "problem", "question", "praise")):
        point = Point(11.2790 + 0.002 * i, 49.5105 + 0.001 * i)
        row = db.add_annotation(
            "lauf", point, kind, f"synthetic benchmark contribution {i + 1}", "de", event["id"]
        )
        db.decide(row["id"], "approved", user)
    documentation_store.set_documentation(
        db, event["id"], user, {"organiser": "synthetic", "attendance": 20, "duration_min": 90}
    )
    return lambda: event_report_pdf(
        db, db.get_event(event["id"]), spec, store, lang="de", output=out / "e.pdf"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    spec = load_registry()["lauf"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        store = GeoPackageStore(out / "ws.gpkg")
        import_quartier(spec, store, progress=False)

        def load():
            return collect_document_data(spec, store)

        cases = [
            ("baseline: read data (collect_document_data)", load, None),
            (
                "workshop map A3 landscape (de)",
                lambda: workshop_map_pdf(
                    load(), out / "w.pdf", lang="de", size="A3", base_url=BASE_URL
                ),
                5.0,
            ),
            (
                "workshop map A4 portrait (de)",
                lambda: workshop_map_pdf(
                    load(),
                    out / "w4.pdf",
                    lang="de",
                    size="A4",
                    orientation="portrait",
                    base_url=BASE_URL,
                ),
                5.0,
            ),
            (
                "offer flyer (ro)",
                lambda: flyer_pdf(load(), out / "f.pdf", lang="ro", base_url=BASE_URL),
                5.0,
            ),
            ("local-mobility report PDF (de)", lambda: write_report(load(), out / "r.pdf"), 20.0),
            ("local-mobility report HTML (de)", lambda: write_report(load(), out / "r.html"), 20.0),
        ]
        cases.append(("event documentation PDF (de)", _event_case(spec, store, out), 5.0))
        rows = [(name, _median_s(fn, args.repeat), target) for name, fn, target in cases]
    base = rows[0][1]
    print(f"Lauf an der Pegnitz, median of {args.repeat} runs after one warm-up\n")
    print("| document | seconds | target (s) | ratio to baseline |")
    print("|---|---:|---:|---:|")
    for name, seconds, target in rows:
        print(f"| {name} | {seconds:.2f} | {target or '–'} | {seconds / base:.1f}× |")


if __name__ == "__main__":
    main()
