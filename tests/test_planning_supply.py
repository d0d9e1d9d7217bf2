"""Advisory hours per 1,000 residents within walking reach (E2SFCA) on Lauf: equal to the
PySAL ``access`` library on the same travel times, holiday-aware weekly hours, unknown
hours and languages listed, the command line and its errors (real data)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyogrio
import pytest
from planning_fixtures import access_e2sfca, assert_cli_refuses, run_cli

from geoquartier.errors import GeoquartierError
from geoquartier.mobility.catchment import travel_times
from geoquartier.mobility.inputs import as_points
from geoquartier.mobility.locate import demand_of
from geoquartier.mobility.profiles import get_profile
from geoquartier.mobility.supply import (
    STATUS_COUNTED,
    STATUS_HOURS_UNKNOWN,
    STATUS_LANGUAGE_NOT_OFFERED,
    STATUS_LANGUAGE_UNKNOWN,
    decay_weights,
    facility_supply,
    hours_in_week,
    quartier_supply,
    reference_week,
    supply,
)

pytest_plugins = ["planning_fixtures"]

WEEK = "2026-W49"


def _category(ws, name):
    return ws.facilities[ws.facilities["category"] == name].reset_index(drop=True)


def test_reference_week_and_holidays():
    assert reference_week("2026-W49") == date(2026, 11, 30)
    assert reference_week(date(2026, 12, 3)) == date(2026, 11, 30)
    office = "Tu 10:00-13:00; We 15:00-18:00; Th 10:00-13:00; PH off"
    assert hours_in_week(office, "DE-BY", reference_week(WEEK)) == (9.0, 0.0)
    # Tuesday 6 January 2026 (Epiphany) is a holiday in Bavaria, not in North Rhine-Westphalia
    assert hours_in_week(office, "DE-BY", reference_week("2026-W02"))[0] == 6.0
    assert hours_in_week(office, "DE-NW", reference_week("2026-W02"))[0] == 9.0
    # real elapsed hours: the clock goes forward on 29 March 2026
    assert hours_in_week("24/7", "DE-BY", reference_week("2026-W13"))[0] == 167.0
    assert hours_in_week('Mo-Fr 09:00-12:00 "by appointment"', "DE-BY", date(2026, 11, 30))[0] == 15
    for bad in ("2026-49", "2026-W54", "last week"):
        with pytest.raises(GeoquartierError, match="week"):
            reference_week(bad)


def test_decay_zones_are_the_access_default_scaled_to_t():
    from access import weights

    # T = 30 min: exactly the access library's E2SFCA default (Luo & Qi's zones)
    default = weights.step_fn({10: 1, 20: 0.68, 30: 0.22})
    minutes = np.linspace(0, 35, 701)
    assert np.array_equal(decay_weights(minutes, 30.0), [default(m) for m in minutes])
    # any T: the same zones over thirds of T, ends included
    fn = weights.step_fn({10 / 3: 1, 20 / 3: 0.68, 10: 0.22})
    minutes = np.array([0, 3.3, 10 / 3, 3.4, 6.6, 20 / 3, 7, 9.99, 10, 10.01, 30])
    assert np.array_equal(decay_weights(minutes, 10.0), [fn(m) for m in minutes])


def test_e2sfca_equals_access_library(lauf_planning):
    ws = lauf_planning
    t = 10.0
    prof = get_profile("standard")
    for name in ("grocery", "doctors"):
        fac = _category(ws, name)
        result = supply(
            ws.network, ws.population, fac, minutes=t, state="DE-BY", week=WEEK, below=2.0
        )
        counted = (result.facilities["status"] == STATUS_COUNTED).to_numpy()
        assert 0 < counted.sum() < len(fac)
        # the same travel-time matrix handed to the access library
        demand = demand_of(ws.population)
        times = travel_times(ws.network, as_points(fac[counted], "f"), demand.points, prof, t)
        hours = result.facilities.loc[counted, "supply"].to_numpy()
        theirs = access_e2sfca(demand.weight, hours, times.demand, times.site, times.minutes, t)
        mine = result.cells["hours_per_1000"].to_numpy() / 1000.0
        assert np.abs(mine - theirs).max() <= 1e-9
        assert (mine > 0).sum() > 100


def test_every_counted_hour_is_shared_out(lauf_planning):
    ws = lauf_planning
    fac = _category(ws, "grocery")
    result = supply(ws.network, ws.population, fac, minutes=10, state="DE-BY", week=WEEK)
    f = result.facilities
    reached = f["status"].eq(STATUS_COUNTED) & f["ratio_per_1000"].notna()
    shared = (result.cells["residents"] * result.cells["hours_per_1000"] / 1000).sum()
    assert shared == pytest.approx(f.loc[reached, "supply"].sum(), rel=1e-9)


def test_unknown_hours_are_listed_not_counted(lauf_planning):
    ws = lauf_planning
    fac = _category(ws, "doctors")
    result = supply(ws.network, ws.population, fac, minutes=10, state="DE-BY", week=WEEK)
    unknown = fac["opening_hours"].isna().to_numpy()
    assert unknown.any()
    status = result.facilities["status"].to_numpy()
    assert (status[unknown] == STATUS_HOURS_UNKNOWN).all()
    assert np.isnan(result.facilities["supply"].to_numpy()[unknown]).all()
    assert len(result.unknown) == unknown.sum()
    assert "left out, hours unknown" in result.text()
    for name in fac.loc[unknown, "name"].dropna():
        assert name.strip() in result.text()
    assert (result.cells["unknown_within"] > 0).any()
    assert result.summary["residents_reaching_unknown"] > 0


def test_language_filter(lauf_planning):
    ws = lauf_planning
    office = _category(ws, "office")
    turkish = supply(
        ws.network, ws.population, office, minutes=10, language="tr", state="DE-BY", week=WEEK
    )
    assert list(turkish.facilities["status"]) == [STATUS_COUNTED]
    assert turkish.summary["supply_total"] == 9.0
    arabic = supply(
        ws.network, ws.population, office, minutes=10, language="ar", state="DE-BY", week=WEEK
    )
    assert list(arabic.facilities["status"]) == [STATUS_LANGUAGE_NOT_OFFERED]
    assert arabic.summary["share_below"] == 1.0
    services = ws.facilities[ws.facilities["layer"] == "services"]
    status = facility_supply(services, state="DE-BY", monday=date(2026, 11, 30), language="tr")
    assert (status["status"] == STATUS_LANGUAGE_UNKNOWN).all()  # OSM names no language here


def test_capacity_column_replaces_hours(lauf_planning):
    ws = lauf_planning
    fac = _category(ws, "pharmacy").assign(capacity=2.5)
    result = supply(ws.network, ws.population, fac, minutes=10, state="DE-BY", week=WEEK)
    assert (result.facilities["supply_source"] == "capacity").all()
    assert result.summary["supply_unit"] == "capacity"
    with pytest.raises(GeoquartierError, match="'capacity' must be a number"):
        supply(ws.network, ws.population, fac.assign(capacity="viel"), minutes=10)


def test_bad_arguments(lauf_planning):
    ws = lauf_planning
    fac = _category(ws, "office")
    with pytest.raises(GeoquartierError, match="unknown language 'xx'"):
        supply(ws.network, ws.population, fac, language="xx")
    with pytest.raises(GeoquartierError, match="unknown profile"):
        supply(ws.network, ws.population, fac, profile="runner")
    with pytest.raises(GeoquartierError, match="unknown German state"):
        supply(ws.network, ws.population, fac, state="DE-XX")
    with pytest.raises(GeoquartierError, match="below"):
        supply(ws.network, ws.population, fac, below=-1)


# ------------------------------------------------------------------------------ CLI
def test_supply_command(planning_env, tmp_path):
    out = tmp_path / "supply.gpkg"
    res = run_cli(
        ["supply", "lauf", "--category", "grocery", "--minutes", "10", "--week", WEEK,
         "--below", "5", "-o", str(out)]
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "week 2026-W49" in res.output and "residents below 5" in res.output
    assert "left out, hours unknown" in res.output
    cells = pyogrio.read_dataframe(out, layer="supply_cells")
    facilities = pyogrio.read_dataframe(out, layer="supply_facilities")
    summary = pd.read_csv(tmp_path / "supply.csv")
    assert len(cells) == len(planning_env.population)
    assert {"hours_per_1000", "unknown_within", "below"} <= set(cells.columns)
    assert set(facilities["status"]) == {STATUS_COUNTED, STATUS_HOURS_UNKNOWN}
    below = cells.loc[cells["hours_per_1000"] < 5, "residents"].sum()
    assert summary["residents_below"].iloc[0] == pytest.approx(below)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--category", "bakery"], "unknown category 'bakery'"),
        (["--category", "debt", "--language", "klingon"], "unknown language 'klingon'"),
        (["--category", "debt", "--profile", "runner"], "unknown profile 'runner'"),
        (["--category", "debt", "--week", "2026-53"], "week must look like"),
    ],
)
def test_supply_command_bad_input(planning_env, tmp_path, args, message):
    assert_cli_refuses("supply", args, message, tmp_path / "x.gpkg")


def test_a_category_without_facilities_gives_zero_not_an_error(lauf_planning):
    ws = lauf_planning
    assert not (ws.facilities["category"] == "debt").any()  # Lauf has no debt advice in OSM
    result = quartier_supply(ws.network, ws.population, ws.facilities, ws.spec, "debt")
    assert len(result.facilities) == 0 and len(result.cells) == len(ws.population)
    assert (result.cells["hours_per_1000"] == 0).all() and result.cells["below"].all()
    assert result.summary["share_below"] == 1.0
