"""Planning scenarios: what-if edits compared before and after (see docs/scenarios.md).

* :class:`Scenario` / :class:`Edit` — the model (one quartier, ordered edits, EPSG:4326);
* :func:`apply_scenario` — edited copies of network, facilities and residents;
* :func:`compare` — coverage before/after per category × profile × threshold and per origin;
* :func:`published_effects` / :func:`scenario_effect` — what published scenarios change
  for residents (the public map's scenario layers, residents gaining access);
* :func:`save_scenario`, :func:`load_scenario`, :func:`list_scenarios`,
  :func:`delete_scenario` — the scenarios in the workspace GeoPackage.
"""

from geoquartier.mobility.scenarios.apply import EditedInputs, apply_scenario
from geoquartier.mobility.scenarios.compare import Comparison, compare, nearest_all
from geoquartier.mobility.scenarios.effects import (
    ACCESS_MINUTES,
    GAIN_TOLERANCE_MIN,
    ScenarioEffect,
    published_effects,
    scenario_effect,
)
from geoquartier.mobility.scenarios.model import (
    EDIT_CHANGES,
    EDIT_KINDS,
    SCENARIO_STATUSES,
    Edit,
    Scenario,
)
from geoquartier.mobility.scenarios.network_edits import DEFAULT_JOIN_TOLERANCE_M
from geoquartier.mobility.scenarios.storage import (
    delete_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
)

__all__ = [
    "ACCESS_MINUTES",
    "EDIT_CHANGES",
    "GAIN_TOLERANCE_MIN",
    "ScenarioEffect",
    "published_effects",
    "scenario_effect",
    "DEFAULT_JOIN_TOLERANCE_M",
    "EDIT_KINDS",
    "SCENARIO_STATUSES",
    "Comparison",
    "Edit",
    "EditedInputs",
    "Scenario",
    "apply_scenario",
    "compare",
    "delete_scenario",
    "list_scenarios",
    "load_scenario",
    "nearest_all",
    "save_scenario",
]
