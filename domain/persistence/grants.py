"""Database roles of a PostgreSQL depot: what each maillage role may do, enforced by the server.

``maillage depot init`` (run by the schema's owner, the database administrator's role) gives
each maillage role a NOLOGIN group role (``maillage_operator``, ``maillage_technician``,
``maillage_ccas``, ``maillage_auditor``); people's logins become members. Then:

- the log (events, audit chain, chain facts) is append-only for every group role: INSERT
  and SELECT only, and a trigger refuses UPDATE, DELETE and TRUNCATE to everyone, the owner
  included (the owner may drop the trigger, which the chain then reveals);
- views, tracking and keys tables are writable by the writing roles (the projector and
  erasure change them);
- auditors only read, and not the web password hashes nor the browser sessions
  (``domain.people.credentials``); nobody but the owner creates, alters or drops anything.

Inserting events needs the events table locked in EXCLUSIVE mode (log order is commit
order), which PostgreSQL grants only with UPDATE/DELETE/TRUNCATE privilege: a SECURITY
DEFINER function owned by the owner takes that lock for the writing roles
(``LOCK_FUNCTION``, used by the recorder when it exists).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.audit.chain import CHAIN_TABLE, INFO_TABLE
from domain.errors import InvalidInputError
from domain.store import PG_LOG_TABLE, StoreLocation

ROLE_PREFIX = "maillage"
WRITERS = ("operator", "technician", "ccas")
READERS = ("auditor",)
LOG_TABLES = (PG_LOG_TABLE, CHAIN_TABLE, INFO_TABLE)
"""The tables nobody may change once written."""
LOCK_FUNCTION = "maillage_lock_log"
REFUSE_FUNCTION = "maillage_refuse_change"
_LOGIN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@-]{0,62}$")


def group_role(role: str, prefix: str = ROLE_PREFIX) -> str:
    """The database group role of a maillage role (``operator`` → ``maillage_operator``)."""
    return f"{prefix}_{role}"


@dataclass(frozen=True)
class DepotGrants:
    """What ``grant_depot`` did: the group roles and the members it added."""

    schema: str
    roles: tuple[str, ...]
    members: tuple[tuple[str, str], ...]


def grant_depot(
    location: StoreLocation,
    members: Sequence[tuple[str, str]] = (),
    prefix: str = ROLE_PREFIX,
) -> DepotGrants:
    """Create the group roles, make the log append-only and grant each role its share.

    ``members`` are ``(login, maillage role)`` pairs: each login becomes a member of the
    role's group. Idempotent: running it again after an upgrade grants the new tables.
    The store's tables must exist (open the store once as the owner first).
    """
    if location.kind != "postgres":
        raise InvalidInputError("database roles exist on a PostgreSQL store only")
    for login, role in members:
        if role not in (*WRITERS, *READERS):
            raise InvalidInputError(f"unknown role {role!r} for {login!r}")
        if not _LOGIN_RE.match(login):
            raise InvalidInputError(f"invalid PostgreSQL login name {login!r}")
    from psycopg.sql import SQL, Identifier, Literal

    s = Identifier(location.schema)
    writers = [Identifier(group_role(r, prefix)) for r in WRITERS]
    everyone = [*writers, *(Identifier(group_role(r, prefix)) for r in READERS)]
    from domain.people.credentials import SECRET_TABLES, ensure_tables

    with location.connect() as conn:
        ensure_tables(conn)  # made by the owner: an application role may not create them
        cur = conn.raw.cursor()
        for role in (*WRITERS, *READERS):
            name = group_role(role, prefix)
            if cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                continue
            cur.execute(SQL("CREATE ROLE {} NOLOGIN").format(Identifier(name)))
        tables = [
            str(r[0])
            for r in cur.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (location.schema,)
            ).fetchall()
        ]
        missing = [t for t in LOG_TABLES if t not in tables]
        if missing:
            raise InvalidInputError(
                f"the schema {location.schema} holds no maillage store (no {missing[0]} table)"
            )

        def each(statement: str, roles: Sequence[Identifier], **parts: object) -> None:
            for role in roles:
                cur.execute(SQL(statement).format(s=s, role=role, **parts))

        cur.execute(SQL("REVOKE CREATE ON SCHEMA {s} FROM PUBLIC").format(s=s))
        cur.execute(SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM PUBLIC").format(s=s))
        each("REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {role}", everyone)
        each("REVOKE CREATE ON SCHEMA {s} FROM {role}", everyone)
        each("GRANT USAGE ON SCHEMA {s} TO {role}", everyone)
        each("GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {role}", everyone)
        readers = [Identifier(group_role(r, prefix)) for r in READERS]
        for table in SECRET_TABLES:  # password hashes and session keys: not for auditors
            each("REVOKE SELECT ON {s}.{t} FROM {role}", readers, t=Identifier(table))
        each("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {role}", writers)
        for table in tables:
            rights = "INSERT" if table in LOG_TABLES else "INSERT, UPDATE, DELETE"
            each(f"GRANT {rights} ON {{s}}.{{t}} TO {{role}}", writers, t=Identifier(table))
        # Tables a later version creates (the owner opens the store first) follow suit.
        each("ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {role}", everyone)
        each(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA {s} "
            "GRANT INSERT, UPDATE, DELETE ON TABLES TO {role}",
            writers,
        )
        cur.execute(
            SQL(
                "CREATE OR REPLACE FUNCTION {s}.{f}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION 'the maillage log is append-only: % on % refused', "
                "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END$$"
            ).format(s=s, f=Identifier(REFUSE_FUNCTION))
        )
        for table in LOG_TABLES:
            t = Identifier(table)
            for name, when in (
                ("maillage_append_only_rows", "BEFORE UPDATE OR DELETE ON {s}.{t} FOR EACH ROW"),
                ("maillage_append_only_truncate", "BEFORE TRUNCATE ON {s}.{t} FOR EACH STATEMENT"),
            ):
                cur.execute(
                    SQL(f"CREATE OR REPLACE TRIGGER {{n}} {when} EXECUTE FUNCTION {{s}}.{{f}}()")
                    .format(n=Identifier(name), s=s, t=t, f=Identifier(REFUSE_FUNCTION))
                )  # fmt: skip
        lock = SQL("LOCK TABLE {s}.{t} IN EXCLUSIVE MODE").format(s=s, t=Identifier(PG_LOG_TABLE))
        cur.execute(
            SQL(
                "CREATE OR REPLACE FUNCTION {s}.{f}() RETURNS void LANGUAGE plpgsql "
                "SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS {body}"
            ).format(
                s=s,
                f=Identifier(LOCK_FUNCTION),
                body=Literal(f"BEGIN {lock.as_string(conn.raw)}; END"),
            )
        )
        cur.execute(SQL("REVOKE ALL ON FUNCTION {s}.{f}() FROM PUBLIC").format(
            s=s, f=Identifier(LOCK_FUNCTION)))  # fmt: skip
        each("GRANT EXECUTE ON FUNCTION {s}.{f}() TO {role}", writers, f=Identifier(LOCK_FUNCTION))
        for login, role in members:
            if not cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                raise InvalidInputError(f"there is no PostgreSQL login {login!r}")
            cur.execute(
                SQL("GRANT {} TO {}").format(
                    Identifier(group_role(role, prefix)), Identifier(login)
                )
            )
    return DepotGrants(
        location.schema,
        tuple(group_role(r, prefix) for r in (*WRITERS, *READERS)),
        tuple(members),
    )
