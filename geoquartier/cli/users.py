"""``geoquartier users``: staff accounts of the participation workflow.

Moderators review residents' contributions; planners create participation events, export
their documentation and run the Verfügungsfonds; the jury votes on fund proposals. Each
account gets a token, printed once when it is created; only the token's SHA-256 hash is
stored (in the participation database,
``GEOQUARTIER_PARTICIPATION_DB``, default ``participation.sqlite`` beside the workspace).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from geoquartier.cli.app import command_group
from geoquartier.vocabulary import STAFF_ROLES

Role = StrEnum("Role", {role: role for role in STAFF_ROLES})
"""Roles of staff accounts (:data:`geoquartier.vocabulary.STAFF_ROLES`)."""


users_app = command_group(
    "users",
    "Staff accounts (moderators, planners, jury) for the participation pages.",
)


@users_app.command("add")
def add(
    name: Annotated[
        str,
        typer.Argument(help="Account name, e.g. 'moderation-werkstatt' (no personal data needed)."),
    ],
    role: Annotated[
        Role,
        typer.Option(
            "--role",
            help="moderator (reviews contributions), planner (creates events, exports "
            "their documentation, runs the Verfügungsfonds) or jury (votes on fund proposals).",
        ),
    ],
) -> None:
    """Create a staff account and print its token ONCE (it cannot be shown again)."""
    from api.participation.store import default_store

    store = default_store()
    user, token = store.add_user(name, role.value)
    typer.echo(f"created {user.role} {user.name!r} (id {user.id}) in {store.path}")
    typer.echo("token (shown only now; give it to the person and keep it secret):")
    typer.echo(token)


@users_app.command("list")
def list_users() -> None:
    """List the staff accounts (name, role, id, created); tokens are never shown."""
    from api.participation.store import default_store

    users = default_store().list_users()
    if not users:
        typer.echo(
            "no staff accounts yet; create one with 'geoquartier users add NAME --role moderator'"
        )
        return
    width = max(len(u.name) for u in users)
    typer.echo(f"{'name'.ljust(width)}  role       id             created")
    for u in users:
        state = "" if u.active else "  (disabled)"
        typer.echo(f"{u.name.ljust(width)}  {u.role.ljust(9)}  {u.id}  {u.created_at}{state}")


@users_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="Account name as shown by 'geoquartier users list'.")],
) -> None:
    """Disable a staff account: its token stops working at once (the account stays listed
    as disabled, so its past decisions keep their author)."""
    from api.participation.store import NotFound, default_store
    from geoquartier.cli.app import fail

    try:
        user = default_store().revoke_user(name)
    except NotFound as exc:
        fail(f"{exc}; see 'geoquartier users list'")
        return
    typer.echo(f"revoked {user.role} {user.name!r} (id {user.id}): its token no longer works")
