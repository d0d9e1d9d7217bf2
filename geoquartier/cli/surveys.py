"""``geoquartier surveys``: map surveys of a quartier or event (the planner's side).

``add`` reads the survey from a JSON file in the form of ``POST /quartiers/{q}/surveys``
(title, questions of the types single, multiple, text, point, route; texts in de, en, tr,
ro, bg with German required) and applies the same checks; ``results`` prints the staff
view of the answers (counts per option, texts waiting for moderation, map answers).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from geoquartier.cli.app import command_group, fail

surveys_app = command_group(
    "surveys", "Map surveys: add from a JSON file, list, open or close, show results."
)

SurveyArg = Annotated[str, typer.Argument(help="Survey id from 'geoquartier surveys list'.")]


def _planner(store, name: str):
    users = [u for u in store.list_users() if u.name == name and u.active]
    if not users or users[0].role != "planner":
        fail(f"--planner {name!r}: no active planner account of that name; see 'geoquartier users'")
    return users[0]


def _read(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"{path}: not a readable JSON file ({exc})")
    if not isinstance(doc, dict):
        fail(f"{path}: expected a JSON object with 'title' and 'questions'")
    return doc


def _stored_survey(survey_id: str):
    """The participation database, after checking it holds the survey ``survey_id``."""
    from api.participation import surveys_store as ss
    from api.participation.store import default_store
    from geoquartier.cli.events import _found

    store = default_store()
    _found(lambda key: ss.get_survey(store, key), survey_id, "geoquartier surveys list")
    return store


@surveys_app.command("add")
def add(
    quartier: Annotated[str, typer.Argument(help="Quartier id, e.g. 'lauf'.")],
    file: Annotated[Path, typer.Argument(help="JSON file: {title, questions, event_id?}.")],
    planner: Annotated[str, typer.Option("--planner", help="Name of a planner account.")],
) -> None:
    """Create an open survey from FILE; prints its id, link and questions."""
    from api.participation.surveys import new_survey
    from geoquartier.cli.events import _checked, _context

    store, registry, limits = _context()
    user = _planner(store, planner)
    payload = _read(file)
    survey = _checked(lambda: new_survey(payload, quartier, store, registry, limits, user))
    typer.echo(f"created survey {survey['id']} in {store.path}")
    for n, q in enumerate(survey["questions"], start=1):
        options = f" ({len(q['options'])} options)" if "options" in q else ""
        typer.echo(f"  {n}. [{q['type']}] {q['text']['de']}{options}")
    typer.echo(f"page for residents: /surveys/{survey['id']}?lang=de")


@surveys_app.command("list")
def list_surveys(
    quartier: Annotated[str, typer.Argument(help="Quartier id, e.g. 'lauf'.")],
) -> None:
    """The quartier's surveys: id, open or closed, answer sets, event, title."""
    from api.participation import surveys_store as ss
    from api.participation.store import default_store

    store = default_store()
    surveys = ss.list_surveys(store, quartier)
    if not surveys:
        typer.echo("no surveys yet; create one with 'geoquartier surveys add QUARTIER FILE'")
    for s in surveys:
        answers = ss.results(store, s["id"])["answers"]
        state = "open" if s["open"] else "closed"
        event = f"  event {s['event_id']}" if s.get("event_id") else ""
        typer.echo(f"{s['id']}  {state}  {answers} answer sets{event}  {s['title']['de']}")


@surveys_app.command("close")
def close(survey_id: SurveyArg, reopen: bool = typer.Option(False, help="Open it again.")) -> None:
    """Close a survey (no more answers), or reopen it with --reopen."""
    from api.participation import surveys_store as ss

    store = _stored_survey(survey_id)
    survey = ss.set_open(store, survey_id, reopen)
    typer.echo(f"survey {survey_id} is {'open' if survey['open'] else 'closed'}")


def _question_lines(q: dict) -> list[str]:
    if "options" in q:
        return [
            f"     {o['text']['de']}: {o['count']} ({o['percent']:.0f} %)" for o in q["options"]
        ]
    if q["type"] == "text":
        return [
            f"     approved {len(q['approved'])}, pending {q['pending']}, rejected {q['rejected']}"
        ]
    busiest = max((c["n"] for c in q["cells"]), default=0)
    return [f"     {len(q['cells'])} cells of 100 m, at most {busiest} in one cell"]


@surveys_app.command("results")
def results(survey_id: SurveyArg) -> None:
    """Staff view of the answers: counts and shares per option, texts by moderation state,
    map answers per 100 m cell."""
    from api.participation import surveys_store as ss

    store = _stored_survey(survey_id)
    found = ss.results(store, survey_id, staff=True)
    typer.echo(f"{found['survey']['title']['de']}: {found['answers']} answer sets")
    for n, q in enumerate(found["questions"], start=1):
        typer.echo(f"  {n}. [{q['type']}] {q['text']['de']} — answered by {q['answered']}")
        for line in _question_lines(q):
            typer.echo(line)
