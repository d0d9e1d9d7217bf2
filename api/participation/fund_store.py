"""Storage of the Verfügungsfonds: one fund per quartier and year, proposals, the
applicants' contacts (private, deletable), jury votes and the office's decisions.

Money is integer cents everywhere. Tables live in the participation database (SQLite file
or PostgreSQL schema, one transaction per write, see :mod:`api.participation.tables`):

* ``funds`` — quartier, year, amount, how it was set (``rule``: 0.50 € per resident and
  at least 2,000 € below 5,000 residents; ``planner``: set by hand), residents counted.
* ``fund_proposals`` — title, description, place, requested and own contribution,
  applicant kind, state (submitted, granted, refused), granted amount, decision.
* ``fund_contacts`` — the applicant's contact, one row per proposal, staff only; a
  planner can delete it (the proposal stays).
* ``fund_votes`` — one vote (yes, no, abstain) per jury account and proposal.
* ``fund_places`` — the point a proposal was placed at on the map (EPSG:4326), optional.

A grant is checked against the fund's balance inside the same write transaction, which
locks the fund's row (``FOR UPDATE``), so two grants at once — also through two servers —
can never take the balance below zero.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from api.participation import tables
from api.participation.store import NotFound, ParticipationStore, User, utc_now
from geoquartier.errors import GeoquartierError
from geoquartier.vocabulary import (
    APPLICANT_KINDS,
    FUND_DECISIONS,
    JURY_VOTES,
    TIME_ZONE,
    sql_in,
)

CENTS_PER_RESIDENT = 50
"""Rule of the fund: 0.50 € per resident."""
MINIMUM_CENTS = 200_000
"""Rule of the fund: at least 2,000 € ..."""
MINIMUM_BELOW_RESIDENTS = 5_000
"""... where the quartier has fewer than this many residents."""
MAX_FUND_CENTS = 100_000_000_00
"""Upper bound of any amount (100 million €), against typing errors and overflow."""

PROPOSAL_STATES = ("submitted", *FUND_DECISIONS)

_NAME = "fund"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS funds (
    id            TEXT PRIMARY KEY,
    quartier      TEXT NOT NULL,
    year          INTEGER NOT NULL,
    amount_cents  INTEGER NOT NULL CHECK (amount_cents >= 0),
    basis         TEXT NOT NULL CHECK (basis IN ('rule', 'planner')),
    residents     INTEGER,
    set_by        TEXT NOT NULL REFERENCES users(id),
    set_at        TEXT NOT NULL,
    UNIQUE (quartier, year)
);
CREATE TABLE IF NOT EXISTS fund_proposals (
    id              TEXT PRIMARY KEY,
    fund_id         TEXT NOT NULL REFERENCES funds(id),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    place           TEXT,
    requested_cents INTEGER NOT NULL CHECK (requested_cents > 0),
    own_cents       INTEGER NOT NULL DEFAULT 0 CHECK (own_cents >= 0),
    applicant_kind  TEXT NOT NULL CHECK (applicant_kind IN ({sql_in(APPLICANT_KINDS)})),
    state           TEXT NOT NULL DEFAULT 'submitted'
                    CHECK (state IN ({sql_in(PROPOSAL_STATES)})),
    granted_cents   INTEGER NOT NULL DEFAULT 0 CHECK (granted_cents >= 0),
    decision_note   TEXT,
    decided_by      TEXT REFERENCES users(id),
    decided_at      TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS fund_proposals_fund ON fund_proposals (fund_id, state);
CREATE TABLE IF NOT EXISTS fund_contacts (
    proposal_id TEXT PRIMARY KEY REFERENCES fund_proposals(id),
    name        TEXT,
    email       TEXT,
    phone       TEXT
);
CREATE TABLE IF NOT EXISTS fund_votes (
    proposal_id TEXT NOT NULL REFERENCES fund_proposals(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    vote        TEXT NOT NULL CHECK (vote IN ({sql_in(JURY_VOTES)})),
    voted_at    TEXT NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
);
CREATE TABLE IF NOT EXISTS fund_places (
    proposal_id TEXT PRIMARY KEY REFERENCES fund_proposals(id),
    lon         REAL NOT NULL,
    lat         REAL NOT NULL
)
"""

PUBLIC_PROJECT_FIELDS = (
    "id",
    "title",
    "description",
    "place",
    "applicant_kind",
    "granted_cents",
    "lon",
    "lat",
)
"""What the public sees of a funded project (no contact, no votes, no refusal)."""

EXPORT_FIELDS = (
    "id",
    "title",
    "description",
    "place",
    "applicant_kind",
    "requested_cents",
    "own_cents",
    "state",
    "granted_cents",
    "decided_at",
    "votes_yes",
    "votes_no",
    "votes_abstain",
    "created_at",
)
"""Columns of the funder's CSV export (no contact)."""


class BalanceExceeded(GeoquartierError):
    """A grant larger than what is left in the fund."""


class AlreadyDecided(GeoquartierError):
    """A proposal that was granted or refused already."""


def rule_amount_cents(residents: int) -> int:
    """The fund by rule: 50 cents per resident, at least 200,000 cents below 5,000 residents."""
    if residents < 0:
        raise GeoquartierError(f"residents: {residents}; expected a number ≥ 0")
    amount = residents * CENTS_PER_RESIDENT
    if residents < MINIMUM_BELOW_RESIDENTS:
        amount = max(amount, MINIMUM_CENTS)
    return amount


def current_year() -> int:
    """The current year in the offices' time zone (the default year of the fund pages)."""
    return datetime.now(TIME_ZONE).year


def has_fund(store: ParticipationStore, quartier: str, year: int) -> bool:
    """Whether ``quartier`` has a fund for ``year``."""
    row = _con(store).execute("SELECT 1 FROM funds WHERE id = ?", (fund_id(quartier, year),))
    return row.fetchone() is not None


def fund_id(quartier: str, year: int) -> str:
    """The id of the fund of ``quartier`` in ``year``."""
    return f"{quartier}-{year}"


def _con(store: ParticipationStore):
    return tables.read(store, _NAME, _SCHEMA)


def _write(store: ParticipationStore):
    return tables.write(store, _NAME, _SCHEMA)


def set_fund(
    store: ParticipationStore,
    quartier: str,
    year: int,
    user: User,
    *,
    amount_cents: int,
    basis: str,
    residents: int | None,
) -> dict[str, Any]:
    """Create or change the fund; it may not fall below what was granted already."""
    if not 0 <= amount_cents <= MAX_FUND_CENTS:
        raise GeoquartierError(f"amount_cents: {amount_cents}; expected 0 to {MAX_FUND_CENTS}")
    fid = fund_id(quartier, year)
    with _write(store) as con:
        con.execute("SELECT id FROM funds WHERE id = ? FOR UPDATE", (fid,))
        granted = _granted(con, fid)
        if amount_cents < granted:
            raise BalanceExceeded(
                f"amount_cents: {amount_cents} is less than the {granted} cents granted already"
            )
        con.execute(
            "INSERT INTO funds (id, quartier, year, amount_cents, basis, residents, set_by,"
            " set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " amount_cents = excluded.amount_cents, basis = excluded.basis,"
            " residents = excluded.residents, set_by = excluded.set_by, set_at = excluded.set_at",
            (fid, quartier, year, amount_cents, basis, residents, user.id, utc_now()),
        )
    return get_fund(store, quartier, year)


def _granted(con, fid: str) -> int:
    row = con.execute(
        "SELECT coalesce(sum(granted_cents), 0) AS g FROM fund_proposals WHERE fund_id = ?",
        (fid,),
    ).fetchone()
    return int(row["g"])


def get_fund(store: ParticipationStore, quartier: str, year: int) -> dict[str, Any]:
    """The fund with ``granted_cents`` and ``balance_cents`` (NotFound if not set up)."""
    con = _con(store)
    fid = fund_id(quartier, year)
    row = con.execute(
        "SELECT id, quartier, year, amount_cents, basis, residents, set_at FROM funds WHERE id = ?",
        (fid,),
    ).fetchone()
    if row is None:
        raise NotFound(f"quartier {quartier!r} has no Verfügungsfonds for {year}")
    granted = _granted(con, fid)
    return row | {"granted_cents": granted, "balance_cents": row["amount_cents"] - granted}


def add_proposal(
    store: ParticipationStore, quartier: str, year: int, fields: dict[str, Any]
) -> dict[str, Any]:
    """Store a proposal (``fields``: title, description, place, requested_cents, own_cents,
    applicant_kind, contact {name, email, phone}, optional ``lon``/``lat`` of its place on
    the map in EPSG:4326); returns its id and state."""
    fid = fund_id(quartier, year)
    pid = uuid.uuid4().hex
    contact = fields.get("contact") or {}
    with _write(store) as con:
        if con.execute("SELECT 1 FROM funds WHERE id = ?", (fid,)).fetchone() is None:
            raise NotFound(f"quartier {quartier!r} has no Verfügungsfonds for {year}")
        con.execute(
            "INSERT INTO fund_proposals (id, fund_id, title, description, place,"
            " requested_cents, own_cents, applicant_kind, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                pid,
                fid,
                fields["title"],
                fields["description"],
                fields.get("place"),
                fields["requested_cents"],
                fields.get("own_cents", 0),
                fields["applicant_kind"],
                utc_now(),
            ),
        )
        if any(contact.values()):
            con.execute(
                "INSERT INTO fund_contacts (proposal_id, name, email, phone) VALUES (?, ?, ?, ?)",
                (pid, contact.get("name"), contact.get("email"), contact.get("phone")),
            )
        if fields.get("lon") is not None:
            con.execute(
                "INSERT INTO fund_places (proposal_id, lon, lat) VALUES (?, ?, ?)",
                (pid, fields["lon"], fields["lat"]),
            )
    return {"id": pid, "state": "submitted"}


def _proposal(con, proposal_id: str) -> dict[str, Any]:
    """The proposal with its fund's amount; both rows locked until the transaction ends."""
    row = con.execute(
        "SELECT p.*, f.amount_cents FROM fund_proposals p JOIN funds f ON f.id = p.fund_id"
        " WHERE p.id = ? FOR UPDATE",
        (proposal_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"proposal {proposal_id!r} does not exist")
    return row


def vote(store: ParticipationStore, proposal_id: str, user: User, choice: str) -> dict[str, Any]:
    """Record (or change) one jury account's vote on an undecided proposal."""
    if choice not in JURY_VOTES:
        raise GeoquartierError(f"vote: {choice!r}; expected one of {list(JURY_VOTES)}")
    with _write(store) as con:
        row = _proposal(con, proposal_id)
        if row["state"] != "submitted":
            raise AlreadyDecided(f"proposal {proposal_id!r} was {row['state']} already")
        con.execute(
            "INSERT INTO fund_votes (proposal_id, user_id, vote, voted_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (proposal_id, user_id) DO UPDATE SET vote = excluded.vote,"
            " voted_at = excluded.voted_at",
            (proposal_id, user.id, choice, utc_now()),
        )
    return {"proposal_id": proposal_id, "vote": choice, "user": user.name}


def decide(
    store: ParticipationStore,
    proposal_id: str,
    user: User,
    *,
    decision: str,
    granted_cents: int,
    note: str | None,
) -> dict[str, Any]:
    """Grant (``granted_cents`` > 0, at most the balance) or refuse a proposal, once."""
    if decision not in FUND_DECISIONS:
        raise GeoquartierError(f"decision: {decision!r}; expected one of {list(FUND_DECISIONS)}")
    if decision == "refused":
        granted_cents = 0
    elif granted_cents <= 0:
        raise GeoquartierError("granted_cents: a grant needs an amount > 0 cents")
    with _write(store) as con:
        row = _proposal(con, proposal_id)
        if row["state"] != "submitted":
            raise AlreadyDecided(f"proposal {proposal_id!r} was {row['state']} already")
        balance = row["amount_cents"] - _granted(con, row["fund_id"])
        if granted_cents > balance:
            raise BalanceExceeded(
                f"granted_cents: {granted_cents} is more than the fund's balance of {balance} cents"
            )
        con.execute(
            "UPDATE fund_proposals SET state = ?, granted_cents = ?, decision_note = ?,"
            " decided_by = ?, decided_at = ? WHERE id = ?",
            (decision, granted_cents, note, user.id, utc_now(), proposal_id),
        )
        balance -= granted_cents
    return {
        "id": proposal_id,
        "state": decision,
        "granted_cents": granted_cents,
        "balance_cents": balance,
    }


def delete_contact(store: ParticipationStore, proposal_id: str) -> bool:
    """Delete the applicant's contact of a proposal; True if there was one."""
    with _write(store) as con:
        _proposal(con, proposal_id)
        cur = con.execute("DELETE FROM fund_contacts WHERE proposal_id = ?", (proposal_id,))
        return cur.rowcount > 0


def proposals(
    store: ParticipationStore, quartier: str, year: int, *, with_contact: bool
) -> list[dict[str, Any]]:
    """Every proposal of the fund, oldest first, with vote counts, its point (``lon``,
    ``lat`` in EPSG:4326, or None) and contacts if asked."""
    con = _con(store)
    rows = con.execute(
        "SELECT p.id, p.title, p.description, p.place, p.applicant_kind, p.requested_cents,"
        " p.own_cents, p.state, p.granted_cents, p.decision_note, p.decided_at, p.created_at,"
        " sum(CASE WHEN v.vote = 'yes' THEN 1 ELSE 0 END) AS votes_yes,"
        " sum(CASE WHEN v.vote = 'no' THEN 1 ELSE 0 END) AS votes_no,"
        " sum(CASE WHEN v.vote = 'abstain' THEN 1 ELSE 0 END) AS votes_abstain,"
        " c.name AS contact_name, c.email AS contact_email, c.phone AS contact_phone,"
        " max(g.lon) AS lon, max(g.lat) AS lat"
        " FROM fund_proposals p LEFT JOIN fund_votes v ON v.proposal_id = p.id"
        " LEFT JOIN fund_contacts c ON c.proposal_id = p.id"
        " LEFT JOIN fund_places g ON g.proposal_id = p.id"
        " WHERE p.fund_id = ? GROUP BY p.id, c.name, c.email, c.phone"
        " ORDER BY p.created_at, p.rowid",
        (fund_id(quartier, year),),
    ).fetchall()
    for row in rows:
        for key in ("votes_yes", "votes_no", "votes_abstain"):
            row[key] = int(row[key] or 0)
        if not with_contact:
            for key in ("contact_name", "contact_email", "contact_phone"):
                del row[key]
    return rows


def funded_projects(store: ParticipationStore, quartier: str, year: int) -> list[dict]:
    """Granted proposals with their public fields only."""
    rows = proposals(store, quartier, year, with_contact=False)
    return [{k: r[k] for k in PUBLIC_PROJECT_FIELDS} for r in rows if r["state"] == "granted"]


def count_proposals(store: ParticipationStore) -> int:
    """How many proposals the database holds (all funds)."""
    return int(_con(store).execute("SELECT count(*) AS n FROM fund_proposals").fetchone()["n"])
