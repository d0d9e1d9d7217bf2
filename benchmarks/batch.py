"""Benchmark: ``geoquartier access --all`` serially vs on a Dask ``LocalCluster`` of 2
worker processes, side by side in one process.

Real data: Lauf and Dreieich (walk network from their OSM walk extracts) and Neu
Olvenstedt (estimate mode, Zensus grid), imported into a temporary workspace (the import
is not timed). Each run is the command's default: all categories × standard, senior,
wheelchair × 5, 10, 15 min.

Two states of the walk-network cache (``GEOQUARTIER_CACHE``):

* cold: an empty cache folder — each network is built from its ``.osm.bz2`` file (what
  the first run of a quartier on a machine costs);
* warm: the arrays are in the cache (every later run).

Per quartier: wall seconds of its task, the peak resident memory (MB) of the process
that ran it (serial: this process, which also holds the importer's libraries; cluster: a
worker process) and how much the task added to it at its peak (+MB). Totals: wall
seconds of the batch, for the cluster with and without starting it; ratio against the
serial run of the same cache state. A worker's first task also pays for importing
geoquartier and GeoPandas in the worker (outside the task's own seconds, inside the
batch total).

    python benchmarks/batch.py [--workspace ws.gpkg]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import psutil

QUARTIERS = ("lauf", "dreieich", "neu-olvenstedt")
PROFILES = ("standard", "senior", "wheelchair")
MINUTES = (5, 10, 15)
WORKERS = 2


def _prepare(workspace: Path) -> None:
    from geoquartier.importer import import_quartier
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.mobility.batch import workspace_quartiers
    from geoquartier.registry import get_quartier

    store = get_layer_store()
    for quartier in QUARTIERS:
        if quartier not in workspace_quartiers(store, [quartier]):
            print(f"importing {quartier} into {workspace} (not timed) ...", flush=True)
            import_quartier(get_quartier(quartier), store)


def _use_cache(folder: Path):
    from geoquartier.mobility.sources import clear_memo
    from geoquartier.settings import reload_settings

    os.environ["GEOQUARTIER_CACHE"] = str(folder)
    clear_memo()
    return reload_settings()


def _batch(scheduler: str | None = None) -> tuple[float, dict]:
    from geoquartier.mobility.batch import run_access_batch

    start = time.perf_counter()
    runs = run_access_batch(
        QUARTIERS, profiles=PROFILES, minutes=MINUTES, scheduler=scheduler, progress=False
    )
    failed = [f"{r.quartier}: {r.error}" for r in runs if not r.ok]
    if failed:
        raise SystemExit("failed: " + "; ".join(failed))
    return time.perf_counter() - start, {r.quartier: r for r in runs}


def _cluster_rss_mb() -> float:
    """Resident memory of the cluster's processes (nannies and workers) together."""
    children = psutil.Process().children(recursive=True)
    return sum(p.memory_info().rss for p in children) / 2**20


def _measure(tmp: Path) -> dict:
    from distributed import LocalCluster

    results = {}
    for state in ("cold", "warm"):
        if state == "cold":
            _use_cache(tmp / "cache-serial")
        results[("serial", state)] = _batch()
    _use_cache(tmp / "cache-cluster")
    start = time.perf_counter()
    with LocalCluster(
        n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        startup_s = time.perf_counter() - start
        for state in ("cold", "warm"):
            results[("cluster", state)] = _batch(cluster.scheduler_address)
        results["cluster_rss_mb"] = _cluster_rss_mb()
    results["startup_s"] = startup_s
    return results


def _added(run) -> float:
    """MB the task added to its process's resident memory at its peak."""
    return run.peak_rss_mb - run.start_rss_mb


def _table(results: dict) -> str:
    head = (
        f"{'quartier':<16}{'cache':<7}{'serial s':>10}{'MB':>7}{'+MB':>6}"
        f"{'cluster(2) s':>14}{'MB':>7}{'+MB':>6}"
    )
    lines = [head, "-" * len(head)]
    for state in ("cold", "warm"):
        serial, cluster = results[("serial", state)][1], results[("cluster", state)][1]
        for q in QUARTIERS:
            s, c = serial[q], cluster[q]
            lines.append(
                f"{q:<16}{state:<7}{s.wall_s:>10.2f}{s.peak_rss_mb:>7.0f}{_added(s):>6.0f}"
                f"{c.wall_s:>14.2f}{c.peak_rss_mb:>7.0f}{_added(c):>6.0f}"
            )
    lines.append("")
    startup = results["startup_s"]
    lines.append(f"{'batch total':<16}{'cache':<7}{'serial s':>10}{'cluster s':>12}{'ratio':>8}")
    for state in ("cold", "warm"):
        serial_s, cluster_s = results[("serial", state)][0], results[("cluster", state)][0]
        lines.append(
            f"{'':<16}{state:<7}{serial_s:>10.2f}{cluster_s:>12.2f}{cluster_s / serial_s:>7.2f}×"
        )
    cold_serial = results[("serial", "cold")][0]
    cold_total = startup + results[("cluster", "cold")][0]
    lines += [
        f"{'':<16}{'cold':<7}{cold_serial:>10.2f}{cold_total:>12.2f}"
        f"{cold_total / cold_serial:>7.2f}×  (cluster incl. its start, as access --all "
        "--workers 2 runs)",
        "",
        f"cluster start: {startup:.1f} s; resident memory of its {WORKERS} workers and "
        f"their nannies after the runs: {results['cluster_rss_mb']:.0f} MB; this process: "
        f"{psutil.Process().memory_info().rss / 2**20:.0f} MB",
        f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GB",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="workspace GeoPackage (default: temp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        workspace = args.workspace or tmp / "ws.gpkg"
        os.environ["GEOQUARTIER_WORKSPACE"] = str(workspace)
        _use_cache(tmp / "cache-import")
        _prepare(workspace)
        print(_table(_measure(tmp)))


if __name__ == "__main__":
    main()
