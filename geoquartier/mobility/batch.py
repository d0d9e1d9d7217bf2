"""City-wide runs: every quartier of the workspace as an independent task.

``geoquartier access --all`` calls :func:`access_all`, ``geoquartier isochrones --all``
:func:`isochrones_all`. Each quartier is one task that opens the workspace store and the
quartier's walk network itself (from the settings it is given: registry, workspace, data
and cache paths — never a network or a layer crosses process boundaries), computes the
coverage table (or the walking-time areas, EPSG:4326), and reports its wall time and the
peak resident memory of its process. Tasks run one after another in this process by default,
on a Dask ``LocalCluster`` of ``workers`` processes, or on an existing Dask cluster given by
its scheduler address. The tables are identical whichever way they run.

A quartier that fails (bad input, a missing category, a worker that died) is reported with
its error; the others are kept. Networks are not kept in memory between quartiers, so a
worker's memory stays at what one quartier needs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geoquartier.errors import GeoquartierError

QUARTIER_COLUMN = ("Quartier", "", "Quartier-ID aus der Registry (geoquartier quartiers)")
"""German label, unit and description of the ``quartier`` column of the batch CSV."""

MEMORY_SAMPLE_S = 0.02
"""Interval at which a task samples its process's resident memory."""


@dataclass(frozen=True)
class AccessJob:
    """What one task needs: small, picklable values only."""

    quartier: str
    profiles: tuple[str, ...]
    minutes: tuple[float, ...]
    categories: tuple[str, ...] | None
    settings: dict


@dataclass(frozen=True)
class IsochronesJob:
    """What one isochrones task needs (around the facilities of ``category``)."""

    quartier: str
    minutes: tuple[float, ...]
    profile: str
    category: str
    per_point: bool
    buffer_m: float
    settings: dict


@dataclass
class QuartierRun:
    """The result of one quartier: its table (coverage, or isochrones as a GeoDataFrame in
    EPSG:4326) or its error, time and memory."""

    quartier: str
    table: pd.DataFrame | None = None
    error: str | None = None
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    start_rss_mb: float = 0.0
    method: str = ""
    residents_source: str = ""
    process: str = field(default_factory=lambda: str(os.getpid()))

    @property
    def ok(self) -> bool:
        return self.error is None


# ---- the task ------------------------------------------------------------------------


def run_access_job(job: AccessJob) -> QuartierRun:
    """Coverage of one quartier (runs in a worker, or in this process).

    Applies ``job.settings`` to the process, opens the store and the network itself,
    and never raises: an error becomes ``QuartierRun.error``.
    """
    return _timed_run(job.quartier, _coverage_of, job)


def run_isochrones_job(job: IsochronesJob) -> QuartierRun:
    """Walking-time areas (EPSG:4326) around one quartier's facilities of
    ``job.category``; like :func:`run_access_job`, never raises."""
    return _timed_run(job.quartier, _isochrones_of, job)


def _timed_run(quartier: str, compute: Callable, job) -> QuartierRun:
    """``compute(job)`` → (table, method, residents source) as a run with its wall time
    and peak memory, or with its error."""
    run = QuartierRun(quartier, process=f"{os.uname().nodename}:{os.getpid()}")
    with _peak_memory() as memory:
        start = time.perf_counter()
        try:
            run.table, run.method, run.residents_source = compute(job)
        except Exception as exc:  # noqa: BLE001 — reported per quartier, the others go on
            run.error = _error_text(exc)
        finally:
            _forget_networks()
        run.wall_s = time.perf_counter() - start
    run.start_rss_mb, run.peak_rss_mb = memory["start_mb"], memory["peak_mb"]
    return run


def _coverage_of(job: AccessJob) -> tuple[pd.DataFrame, str, str]:
    """The coverage table of ``job.quartier`` (all profiles), its method and residents
    source, computed exactly as ``geoquartier access`` does."""
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.mobility.coverage import coverage, residents_source
    from geoquartier.mobility.nearest import nearest_facilities
    from geoquartier.mobility.sources import network_for
    from geoquartier.registry import get_quartier

    settings = _apply_settings(job.settings)
    spec = get_quartier(job.quartier, settings.registry_path)
    store = get_layer_store(settings, upgrade=False)
    population = store.read("population", quartier=spec.id)
    if population.empty:
        raise GeoquartierError(
            f"quartier {spec.id!r} has no population layer; coverage needs residents"
        )
    facilities = _facilities(store, spec.id)
    network = network_for(spec)
    categories = list(job.categories) if job.categories else None
    tables = []
    for profile in job.profiles:
        near = nearest_facilities(
            network,
            population[["id", "residents", "geometry"]],
            facilities,
            categories=categories,
            profile=profile,
        )
        tables.append(
            coverage(
                network,
                population,
                facilities,
                list(job.minutes),
                profiles=[profile],
                categories=categories,
                nearest=near,
            )
        )
    table = pd.concat(tables, ignore_index=True)
    return table, str(network.method), residents_source(population)


def _isochrones_of(job: IsochronesJob):
    """The areas of ``job`` (EPSG:4326), computed as ``geoquartier isochrones`` does, with
    their method and the residents source ('' without a population layer)."""
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.mobility.coverage import residents_source
    from geoquartier.mobility.isochrones import isochrones
    from geoquartier.mobility.sources import network_for
    from geoquartier.registry import get_quartier

    settings = _apply_settings(job.settings)
    spec = get_quartier(job.quartier, settings.registry_path)
    store = get_layer_store(settings, upgrade=False)
    facilities = _facilities(store, spec.id)
    points = facilities[facilities["category"] == job.category]
    if points.empty:
        present = ", ".join(sorted(facilities["category"].unique()))
        raise GeoquartierError(
            f"quartier {spec.id!r} has no {job.category!r} with a location (present: {present})"
        )
    population = store.read("population", quartier=spec.id)
    network = network_for(spec)
    result = isochrones(
        network,
        points,
        list(job.minutes),
        profile=job.profile,
        buffer_m=job.buffer_m,
        population=None if population.empty else population,
        dissolve=not job.per_point,
    )
    source = "" if population.empty else residents_source(population)
    return result, str(network.method), source


def _facilities(store, quartier: str):
    """Offices, services and places of ``quartier`` (``id``, ``category``, ``name``,
    ``layer``; EPSG:4326), or a clear error when it has none."""
    from geoquartier.mobility.planning_inputs import planning_facilities

    facilities = planning_facilities(store, quartier)
    if facilities.empty:
        raise GeoquartierError(
            f"quartier {quartier!r} has no offices, services or places to walk to"
        )
    return facilities[["id", "category", "name", "layer", "geometry"]]


def _apply_settings(values: dict):
    """The process's settings, read again with ``values`` if they differ (a worker
    process serves geoquartier tasks only, so its settings are the client's)."""
    from geoquartier.settings import get_settings, reload_settings

    current = get_settings()
    if settings_for_tasks(current) == values:
        return current
    return reload_settings(**values)


def _forget_networks() -> None:
    from geoquartier.mobility.sources import clear_memo

    clear_memo()


def _error_text(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, GeoquartierError) else f"{type(exc).__name__}: {text}"


@contextmanager
def _peak_memory() -> Iterator[dict]:
    """Samples the resident memory (MB) of this process while the block runs:
    ``start_mb`` before, ``peak_mb`` the highest seen."""
    import psutil

    proc = psutil.Process()
    figures = {"start_mb": proc.memory_info().rss / 2**20}
    figures["peak_mb"] = figures["start_mb"]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(MEMORY_SAMPLE_S):
            figures["peak_mb"] = max(figures["peak_mb"], proc.memory_info().rss / 2**20)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield figures
    finally:
        stop.set()
        sampler.join()
        figures["peak_mb"] = max(figures["peak_mb"], proc.memory_info().rss / 2**20)


# ---- running many --------------------------------------------------------------------


def workspace_quartiers(store, registry_ids: Sequence[str]) -> list[str]:
    """Ids of the registry (in its order) whose quartier has been imported into ``store``."""
    imported = store.read("quartiers")
    present = set(imported["id"].astype(str)) if not imported.empty else set()
    return [q for q in registry_ids if q in present]


def settings_for_tasks(settings=None) -> dict:
    """The settings a task applies: every field of ``settings`` (default: the current
    ones) with the data, cache, workspace and registry paths resolved here (a remote
    worker would resolve the defaults against its own checkout)."""
    from geoquartier.settings import get_settings

    settings = settings or get_settings()
    values = settings.model_dump()
    values.update(
        data=settings.data_dir,
        cache=settings.cache_dir,
        workspace=settings.workspace_path,
        registry=settings.registry_path,
    )
    return values


def run_access_batch(
    quartiers: Sequence[str],
    *,
    profiles: Sequence[str] = ("standard",),
    minutes: Sequence[float] = (5, 10, 15),
    categories: Sequence[str] | None = None,
    settings=None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    on_result: Callable[[QuartierRun], None] | None = None,
) -> list[QuartierRun]:
    """Coverage of every quartier in ``quartiers``, one task each; results in the order
    given. Serial in this process unless ``workers`` (a Dask ``LocalCluster`` of that
    many single-threaded processes) or ``scheduler`` (address of a running Dask
    scheduler, e.g. ``tcp://10.0.0.5:8786``) is given. ``on_result`` is called with each
    run as it finishes."""
    values = settings_for_tasks(settings)
    jobs = [
        AccessJob(
            q,
            tuple(profiles),
            tuple(float(m) for m in minutes),
            tuple(categories) if categories else None,
            values,
        )
        for q in quartiers
    ]
    return run_batch(jobs, run_access_job, workers, scheduler, progress, on_result)


def run_isochrones_batch(
    quartiers: Sequence[str],
    *,
    minutes: Sequence[float] = (5, 10, 15),
    profile: str = "standard",
    category: str = "office",
    per_point: bool = False,
    buffer_m: float = 25.0,
    settings=None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    on_result: Callable[[QuartierRun], None] | None = None,
) -> list[QuartierRun]:
    """Walking-time areas (EPSG:4326) of every quartier in ``quartiers``, one task each,
    run as :func:`run_access_batch` runs them."""
    values = settings_for_tasks(settings)
    mins = tuple(float(m) for m in minutes)
    jobs = [
        IsochronesJob(q, mins, profile, category, per_point, float(buffer_m), values)
        for q in quartiers
    ]
    return run_batch(jobs, run_isochrones_job, workers, scheduler, progress, on_result)


def run_batch(
    jobs: Sequence,
    task: Callable,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    on_result: Callable[[QuartierRun], None] | None = None,
) -> list[QuartierRun]:
    """``task(job)`` for every job (each with a ``quartier``), serially or on Dask; the
    runs in the order of ``jobs``."""
    from tqdm import tqdm

    runs: dict[str, QuartierRun] = {}
    for run in _runs(jobs, task, workers, scheduler, progress):
        runs[run.quartier] = run
        if on_result is not None:
            with tqdm.external_write_mode():  # the line above the bar, not through it
                on_result(run)
    return [runs[job.quartier] for job in jobs]


def _runs(jobs, task, workers, scheduler, progress) -> Iterator[QuartierRun]:
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), unit="quartier", disable=not progress, leave=False)
    try:
        if workers is None and scheduler is None:
            for job in jobs:
                bar.set_postfix_str(job.quartier)
                yield task(job)
                bar.update()
            return
        with _dask_client(workers, scheduler) as client:
            yield from _dask_runs(client, jobs, task, bar)
    finally:
        bar.close()


def _dask_runs(client, jobs, task, bar) -> Iterator[QuartierRun]:
    """Submits every job and yields runs as they finish; a task that fails in Dask
    itself (e.g. a worker killed for memory) becomes a run with that error."""
    from distributed import as_completed

    futures = {
        client.submit(task, job, key=f"{task.__name__}-{job.quartier}", pure=False): job
        for job in jobs
    }
    for future in as_completed(futures):
        job = futures[future]
        try:
            run = future.result()
        except Exception as exc:  # noqa: BLE001 — one quartier lost, not the batch
            run = QuartierRun(job.quartier, error=_error_text(exc), process="dask")
        bar.set_postfix_str(job.quartier)
        bar.update()
        yield run


@contextmanager
def _dask_client(workers: int | None, scheduler: str | None):
    """A Dask client of a new ``LocalCluster`` (``workers`` processes, one thread each,
    no dashboard) or of the scheduler at ``scheduler``."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise GeoquartierError(
                f"cannot reach the Dask scheduler at {scheduler}: {' '.join(str(exc).split())}"
            ) from None
        with client:
            yield client
        return
    if workers is None or workers < 1:
        raise GeoquartierError(f"--workers must be 1 or more, got {workers}")
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


# ---- output --------------------------------------------------------------------------


def batch_table(runs: Sequence[QuartierRun]) -> pd.DataFrame:
    """The rounded coverage tables of the successful runs, one below the other, with a
    first column ``quartier``."""
    from geoquartier.mobility.coverage import COVERAGE_COLUMNS, rounded_coverage

    frames = [rounded_coverage(r.table).assign(quartier=r.quartier) for r in runs if r.ok]
    columns = ["quartier", *COVERAGE_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def write_batch_csv(runs: Sequence[QuartierRun], path: str | Path) -> list[Path]:
    """Write :func:`batch_table` as ``path`` (the coverage CSV dialect: UTF-8, ``;``,
    decimal comma) and the German column descriptions as ``<stem>.columns.csv``; each
    file goes to a temporary name first. Returns both paths."""
    from geoquartier.mobility.coverage import COVERAGE_COLUMNS, write_table_with_legend

    labels = {"quartier": QUARTIER_COLUMN, **COVERAGE_COLUMNS}
    return write_table_with_legend(batch_table(runs), labels, path)


def run_line(run: QuartierRun) -> str:
    """One line per quartier: residents, headline share (office or the first category,
    first profile, longest time), method, wall time and peak memory — or the error."""
    if not run.ok:
        return f"{run.quartier:<18} FAILED: {run.error}"
    table = run.table
    cats = list(dict.fromkeys(table["category"]))
    cat = "office" if "office" in cats else cats[0]
    prof = table["profile"].iloc[0]
    longest = table["threshold_min"].max()
    row = table[
        (table["category"] == cat)
        & (table["profile"] == prof)
        & (table["threshold_min"] == longest)
    ].iloc[0]
    return (
        f"{run.quartier:<18}{round(float(row['residents_total'])):>9,} residents  "
        f"{cat} ≤ {longest:g} min ({prof}): {float(row['share_within']) * 100:5.1f} %  "
        f"[{run.method}]  {run.wall_s:5.1f} s  {run.peak_rss_mb:6,.0f} MB"
    )


def access_all(
    output: str | Path,
    *,
    profiles: Sequence[str],
    minutes: Sequence[float],
    categories: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """``geoquartier access --all``: coverage of every registry quartier imported into
    the workspace, written to one CSV (column ``quartier``), one summary line each.

    Returns the exit status: 0 when every quartier ran, 1 when one or more failed (their
    errors are printed; the others are written)."""
    output = Path(output)
    if output.suffix.lower() != ".csv":
        raise GeoquartierError(f"cannot write {output.name}: the coverage table needs a .csv file")
    return _run_all(
        "coverage",
        lambda quartiers, **how: run_access_batch(
            quartiers, profiles=profiles, minutes=minutes, categories=categories, **how
        ),
        run_line,
        lambda runs: write_batch_csv(runs, output),
        workers=workers,
        scheduler=scheduler,
        echo=echo,
    )


def isochrones_all(
    output: str | Path,
    *,
    minutes: Sequence[float],
    profile: str = "standard",
    category: str = "office",
    per_point: bool = False,
    buffer_m: float = 25.0,
    workers: int | None = None,
    scheduler: str | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """``geoquartier isochrones --all``: the walking-time areas of every imported quartier
    in one file (``.gpkg`` layer ``isochrones`` or ``.geojson``, EPSG:4326) with a first
    column ``quartier``; exit status as :func:`access_all`."""
    output = Path(output)
    if output.suffix.lower() not in (".gpkg", ".geojson", ".json"):
        raise GeoquartierError(f"cannot write {output.name}: use a .gpkg or .geojson file")
    return _run_all(
        "walking-time areas",
        lambda quartiers, **how: run_isochrones_batch(
            quartiers,
            minutes=minutes,
            profile=profile,
            category=category,
            per_point=per_point,
            buffer_m=buffer_m,
            **how,
        ),
        isochrones_line,
        lambda runs: [write_isochrones(runs, output)],
        workers=workers,
        scheduler=scheduler,
        echo=echo,
    )


def _run_all(
    what: str,
    run_batch: Callable[..., list],
    line: Callable[[Any], str],
    write: Callable[[list], list[Path]],
    *,
    workers: int | None,
    scheduler: str | None,
    echo: Callable[[str], None],
) -> int:
    """Run ``run_batch(quartiers, settings=, workers=, scheduler=, on_result=)`` over every
    imported quartier with one ``line`` per result, ``write`` the runs, print the summary;
    the exit status of :func:`_finish`."""
    settings, registry, quartiers = _imported_quartiers()
    echo(
        f"{what} of {len(quartiers)} quartiers ({', '.join(quartiers)}) "
        + _where(workers, scheduler)
    )
    started = time.perf_counter()
    runs = run_batch(
        quartiers,
        settings=settings,
        workers=workers,
        scheduler=scheduler,
        on_result=lambda run: echo(line(run)),
    )
    return _finish(runs, registry, started, write(runs), echo)


def _imported_quartiers():
    """The current settings, the registry and the ids of its imported quartiers."""
    from geoquartier.layers.backend import get_layer_store
    from geoquartier.registry import load_registry
    from geoquartier.settings import get_settings

    settings = get_settings()
    registry = load_registry(settings.registry_path)
    store = get_layer_store(settings)
    quartiers = workspace_quartiers(store, list(registry))
    if not quartiers:
        raise GeoquartierError(
            f"no registry quartier has been imported into {store.path}; "
            "run 'geoquartier import <quartier>' first"
        )
    return settings, registry, quartiers


def _finish(runs, registry, started: float, written, echo) -> int:
    """Prints how many quartiers ran, which failed or were left out, and the files;
    returns the exit status (1 if any failed)."""
    failed = [r.quartier for r in runs if not r.ok]
    done = {r.quartier for r in runs}
    skipped = [q for q in registry if q not in done]
    echo(
        f"{len(runs) - len(failed)} of {len(runs)} quartiers done in "
        f"{time.perf_counter() - started:.1f} s"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    if skipped:
        echo(f"not imported, left out: {', '.join(skipped)}")
    echo("written: " + ", ".join(str(p) for p in written))
    return 1 if failed else 0


def write_isochrones(runs: Sequence[QuartierRun], path: str | Path) -> Path:
    """The areas of the successful runs, one below the other with a first column
    ``quartier``, as ``path`` (``.gpkg`` layer ``isochrones`` or ``.geojson``; EPSG:4326),
    written to a temporary name first."""
    import geopandas as gpd

    path = Path(path)
    frames = [r.table.assign(quartier=r.quartier) for r in runs if r.ok]
    if frames:
        areas = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
        areas = areas[["quartier", *[c for c in areas.columns if c != "quartier"]]]
    else:
        areas = gpd.GeoDataFrame({"quartier": []}, geometry=[], crs="EPSG:4326")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    if path.suffix.lower() == ".gpkg":
        areas.to_file(tmp, layer="isochrones", driver="GPKG")
    else:
        areas.to_file(tmp, driver="GeoJSON")
    os.replace(tmp, path)
    return path


def isochrones_line(run: QuartierRun) -> str:
    """One line per quartier: the largest area and its residents, method, seconds, MB."""
    if not run.ok:
        return f"{run.quartier:<18} FAILED: {run.error}"
    areas = run.table
    if areas.empty:
        return f"{run.quartier:<18} no area (every starting point off the network)"
    longest = areas["minutes"].max()
    top = areas[areas["minutes"] == longest]
    size_ha = top["area_m2"].sum() / 10_000
    # residents of one merged area; per point they overlap and do not add up
    who = ""
    if len(top) == 1 and top["residents"].notna().all():
        who = f"{round(float(top['residents'].iloc[0])):>8,} residents"
    return (
        f"{run.quartier:<18}{len(areas):>4} areas  ≤ {longest:g} min: "
        f"{size_ha:8.1f} ha {who}  [{run.method}]  {run.wall_s:5.1f} s  "
        f"{run.peak_rss_mb:6,.0f} MB"
    )


def _where(workers: int | None, scheduler: str | None) -> str:
    if scheduler is not None:
        return f"on the Dask cluster at {scheduler}"
    if workers is not None:
        return f"on a local Dask cluster of {workers} worker processes"
    return "one after another in this process"
