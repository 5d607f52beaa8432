"""Where the event store lives: an SQLite file (default) or a PostgreSQL database.

A ``StoreLocation`` is parsed from ``--store`` / ``MAILLAGE_STORE`` (a path or
a ``postgresql://`` URL) and turned into the eventsourcing library's settings.
The same location opens the connection the view tables use, so that view rows
and their tracking position are written in the store's own transactions.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from domain.errors import InvalidInputError, StoreNotFoundError, StoreUnavailableError

SQLITE_RECORDER = "domain.persistence.sqlite:BulkSQLiteApplicationRecorder"
POSTGRES_RECORDER = "domain.persistence.postgres:BulkPostgresApplicationRecorder"
"""The recorders' topics: each backend's module is imported only when its store is opened."""

PG_LOG_TABLE = "maillage_events"
"""The library's events table on PostgreSQL (named after the application, ``maillage``)."""
_PG_LOG_TABLE = "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"

_CREATE_IF_MISSING = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)\s+IF\s+NOT\s+EXISTS\s+(\w+)", re.IGNORECASE
)
"""A view's or key table's creation statement, and the name it creates."""
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SYSTEM_SCHEMAS = ("information_schema",)
"""PostgreSQL's own schemas (with every ``pg_…`` one): a store is never made there."""


@dataclass(frozen=True)
class StoreLocation:
    """An event store's address: an SQLite file path or PostgreSQL connection parts."""

    kind: Literal["sqlite", "postgres"]
    path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 5432
    dbname: str = ""
    user: str = ""
    password: str = ""
    schema: str = "public"
    connect_timeout_s: int = 5
    read_only: bool = False
    """An SQLite store this process may not write (a read-only file or folder): opened with
    SQLite's read-only URI, read and verified without writing anything (``for_reading``)."""
    copied_from: Path | None = None
    """The read-only store this is a private copy of (see ``for_reading``)."""

    @classmethod
    def parse(cls, value: str) -> StoreLocation:
        """Read a ``--store`` value: ``postgresql://user@host:port/db?schema=s``, a file path, or
        a file path as ``label`` shows it (``sqlite:/path``, what the console and the demo print,
        so that it can be pasted back)."""
        value = value.strip()
        if value.startswith("sqlite:"):
            value = value.removeprefix("sqlite:")
            value = "/" + value.lstrip("/") if value.startswith("//") else value
        if not value:
            raise InvalidInputError("the store location is empty")
        if value.startswith(("postgresql://", "postgres://")):
            return cls._parse_postgres(value)
        if "://" in value:
            scheme = value.split("://", 1)[0]
            raise InvalidInputError(
                f"unsupported store URL scheme {scheme!r}: use a file path or postgresql://"
            )
        return cls(kind="sqlite", path=Path(value).expanduser())

    @classmethod
    def _parse_postgres(cls, url: str) -> StoreLocation:
        parts = urlsplit(url)
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise InvalidInputError(f"the PostgreSQL URL names no database: {cls._redact(url)}")
        query = parse_qs(parts.query)
        schema = query.get("schema", ["public"])[0]
        if not _SCHEMA_RE.match(schema):
            raise InvalidInputError(
                f"invalid PostgreSQL schema name {schema!r}: lower-case letters, digits and _, "
                "at most 63, not starting with a digit"
            )
        if schema in _SYSTEM_SCHEMAS or schema.startswith("pg_"):
            raise InvalidInputError(f"the schema {schema!r} is PostgreSQL's own: choose another")
        try:
            port = parts.port or 5432
        except ValueError as e:
            raise InvalidInputError(f"invalid port in PostgreSQL URL {cls._redact(url)}") from e
        raw_timeout = query.get("connect_timeout", ["5"])[0]
        if not raw_timeout.isascii() or not raw_timeout.isdigit() or int(raw_timeout) < 1:
            raise InvalidInputError(
                f"invalid connect_timeout {raw_timeout!r} in the PostgreSQL URL: "
                "a whole number of seconds, at least 1"
            )
        timeout = int(raw_timeout)
        return cls(
            kind="postgres",
            host=parts.hostname or "127.0.0.1",
            port=port,
            dbname=dbname,
            user=unquote(parts.username or "") or _default_pg_user(),
            password=unquote(parts.password or ""),
            schema=schema,
            connect_timeout_s=timeout,
        )

    @staticmethod
    def _redact(url: str) -> str:
        return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)

    @property
    def label(self) -> str:
        """Where the store is, for people (never shows a password)."""
        if self.kind == "sqlite":
            return f"sqlite:{self.copied_from or self.path}"
        schema = "" if self.schema == "public" else f"?schema={self.schema}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}{schema}"

    def for_reading(self) -> StoreLocation:
        """This location, marked read-only when it is an SQLite store this process may not
        write (the file or its folder): what a command that only reads opens."""
        if self.kind != "sqlite" or self.path is None or not self.path.is_file():
            return self
        writable = os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)
        if writable:
            return self
        wal, shm = Path(f"{self.path}-wal"), Path(f"{self.path}-shm")
        if not (wal.exists() and wal.stat().st_size and not shm.exists()):
            return replace(self, read_only=True)
        # SQLite cannot read a write-ahead log without its shared-memory file, which a
        # read-only folder cannot hold: the file and its log are read from a private copy.
        scratch = Path(tempfile.mkdtemp(prefix="maillage-read-"))
        atexit.register(shutil.rmtree, scratch, True)
        copy = scratch / self.path.name
        for companion in ("", "-wal"):
            shutil.copyfile(f"{self.path}{companion}", f"{copy}{companion}")
        return replace(self, path=copy, read_only=True, copied_from=self.path)

    @property
    def sqlite_target(self) -> str:
        """What SQLite opens: the path, or a read-only URI for a read-only store. Without a
        write-ahead log beside it the file is opened immutable (nothing to create or lock)."""
        assert self.path is not None
        if not self.read_only:
            return str(self.path)
        wal = Path(f"{self.path}-wal")
        flags = "mode=ro" if wal.exists() and wal.stat().st_size else "mode=ro&immutable=1"
        if self.copied_from is not None:
            flags = "mode=ro"  # a private copy: its log is read, its shared memory made here
        return f"file:{quote(str(self.path.resolve()))}?{flags}"

    def library_env(self) -> dict[str, str]:
        """Settings for the eventsourcing library's infrastructure factory."""
        if self.kind == "sqlite":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.sqlite_target,
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": SQLITE_RECORDER,
            }
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout_s),
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": POSTGRES_RECORDER,
        }

    def exists(self) -> bool:
        """Whether a store is already there (an SQLite file, or the log's table in the schema)."""
        if self.kind == "sqlite":
            assert self.path is not None
            return self.path.is_file()
        with self.connect() as conn:
            return conn.fetchone(_PG_LOG_TABLE, (self.schema, PG_LOG_TABLE)) is not None

    def prepare(self, create: bool = True) -> list[Path]:
        """Make sure the store can be opened: the file's folder exists, the server answers.

        With ``create`` false a store that does not exist is refused and nothing is made.
        Returns the files and folders this call created (to remove if the first open fails).
        Raises ``StoreUnavailableError`` with a one-line reason otherwise.
        """
        if self.kind == "sqlite":
            assert self.path is not None
            blocking = next((p for p in self.path.parents if p.exists()), None)
            if blocking is not None and not blocking.is_dir():
                raise StoreUnavailableError(
                    f"cannot open the SQLite store at {self.path}: {blocking} is not a folder"
                )
            if self.path.is_dir():
                raise StoreUnavailableError(
                    f"cannot open the SQLite store at {self.path}: it is a folder, not a file"
                )
        if not create and not self.exists():
            raise StoreNotFoundError(f"there is no store at {self.label}")
        if self.read_only:
            return []
        if self.kind == "sqlite":
            created = [p for p in (self.path, *self.path.parents) if not p.exists()]
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                probe = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                try:
                    probe.execute("PRAGMA journal_mode=WAL")
                    probe.execute("BEGIN IMMEDIATE")  # proves we may write, changes nothing
                    probe.execute("ROLLBACK")
                finally:
                    probe.close()
            except (OSError, sqlite3.Error) as e:
                self.discard(created)
                raise StoreUnavailableError(
                    f"cannot open the SQLite store at {self.path}: {one_line(e)}"
                ) from e
            return created
        with self.connect() as conn:
            # Checked first: an application role of a depot may not create schemas at all.
            if conn.fetchone("SELECT 1 FROM pg_namespace WHERE nspname = ?", (self.schema,)):
                return []
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        return []

    def discard(self, created: Sequence[Path]) -> None:
        """Remove what a failed first open created: the SQLite file, its companions, folders."""
        if self.path is None or self.path not in created:
            return
        for companion in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{companion}").unlink(missing_ok=True)
        for folder in created:
            if folder != self.path:
                try:
                    folder.rmdir()
                except OSError:  # not empty: someone else uses it now
                    break

    @contextmanager
    def setup_lock(self) -> Iterator[None]:
        """Serialise table creation between consoles starting at once on one PostgreSQL store.

        PostgreSQL refuses concurrent ``CREATE OR REPLACE FUNCTION`` ("tuple
        concurrently updated"); an advisory lock makes the starts take turns.
        SQLite needs nothing: its writers already take turns.
        """
        if self.kind == "sqlite":
            yield
            return
        with self.connect() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(?))", (f"maillage:{self.schema}",))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(?))", (f"maillage:{self.schema}",))

    @contextmanager
    def connect(self) -> Iterator[ViewConnection]:
        """A connection for view tables and tracking, committed on success."""
        conn = ViewConnection.open(self)
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()


POSTGRES_EXTRA = 'pip install "maillage[postgres]"'


def _psycopg() -> Any:
    """The PostgreSQL driver, imported only when a ``postgresql://`` store is opened."""
    try:
        import eventsourcing.postgres  # noqa: F401  (the library's PostgreSQL module)
        import psycopg
    except ImportError as e:
        raise StoreUnavailableError(
            f"PostgreSQL support is not installed ({e.name} is missing): {POSTGRES_EXTRA}"
        ) from e
    return psycopg


def _default_pg_user() -> str:
    import getpass

    return getpass.getuser()


def one_line(error: BaseException, limit: int = 240) -> str:
    """An exception's message folded on one line (drivers often span several)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ViewConnection:
    """A DB-API connection to the store that speaks one SQL dialect to views.

    Statements are written with ``?`` placeholders; they are translated for
    PostgreSQL. ``kind`` lets a view pick a dialect-specific statement where
    the two differ.
    """

    def __init__(self, kind: Literal["sqlite", "postgres"], raw: Any) -> None:
        self.kind = kind
        self.raw = raw
        self._may_create: bool | None = None
        self.scratch: tempfile.TemporaryDirectory[str] | None = None
        """A scratch folder holding this connection's database, removed when it closes."""

    @classmethod
    def open(cls, location: StoreLocation) -> ViewConnection:
        if location.kind == "sqlite":
            try:
                # A read-only store is opened through SQLite's read-only URI, with no pragma.
                raw = sqlite3.connect(
                    location.sqlite_target, timeout=30, isolation_level=None,
                    uri=location.read_only,
                )  # fmt: skip
                if not location.read_only:
                    raw.execute("PRAGMA journal_mode=WAL")
                    raw.execute("PRAGMA synchronous=NORMAL")
                    # Deleted rows (an erased person's key, purged view rows) are zeroed, not
                    # left in free space (SQLite's upstream default keeps them).
                    raw.execute("PRAGMA secure_delete=ON")
                raw.execute("BEGIN")
            except sqlite3.Error as e:
                raise StoreUnavailableError(
                    f"cannot open the SQLite store at {location.path}: {one_line(e)}"
                ) from e
            return cls("sqlite", raw)
        psycopg = _psycopg()
        try:
            raw = psycopg.connect(
                host=location.host,
                port=location.port,
                dbname=location.dbname,
                user=location.user,
                password=location.password or None,
                connect_timeout=location.connect_timeout_s,
            )
        except psycopg.OperationalError as e:
            raise StoreUnavailableError(
                f"cannot reach PostgreSQL at {location.host}:{location.port}/"
                f"{location.dbname}: {one_line(e)}"
            ) from e
        raw.execute(f'SET search_path TO "{location.schema}"')
        raw.commit()  # a session setting: a later rollback must not undo it
        return cls("postgres", raw)

    def _sql(self, statement: str) -> str:
        return statement if self.kind == "sqlite" else statement.replace("?", "%s")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        # An application role of a depot (``maillage depot init``) may not run even a
        # CREATE … IF NOT EXISTS of a table that is there: the owner made it.
        create = _CREATE_IF_MISSING.match(statement) if self.kind == "postgres" else None
        if create and not self._can_create() and self._relation_exists(create.group(1)):
            return self.raw.execute("SELECT 1 WHERE false")
        return self.raw.execute(self._sql(statement), params)

    def _can_create(self) -> bool:
        if self._may_create is None:
            row = self.raw.execute(
                "SELECT has_schema_privilege(current_schema(), 'CREATE')"
            ).fetchone()
            self._may_create = bool(row and row[0])
        return self._may_create

    def _relation_exists(self, name: str) -> bool:
        row = self.raw.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
        return bool(row and row[0])

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.kind == "sqlite":
            self.raw.executemany(statement, rows)
        else:
            with self.raw.cursor() as cur:
                cur.executemany(self._sql(statement), rows)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(statement, params).fetchall())

    def fetchone(self, statement: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.execute(statement, params).fetchone()
        return tuple(row) if row is not None else None

    def table_exists(self, name: str) -> bool:
        if self.kind == "sqlite":
            row = self.fetchone(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
            )
        else:
            row = self.fetchone(
                "SELECT 1 FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_name = ?",
                (name,),
            )
        return row is not None

    def begin_write(self) -> None:
        """Start a transaction that holds the write lock from its first statement.

        SQLite takes the database's write lock now (``BEGIN IMMEDIATE``), so what
        is read next cannot change before commit; PostgreSQL locks rows with
        ``FOR UPDATE`` (see ``lock_suffix``).
        """
        if self.kind == "sqlite":
            if self.raw.in_transaction:
                self.raw.execute("ROLLBACK")
            self.raw.execute("BEGIN IMMEDIATE")
        else:
            self.raw.rollback()

    @property
    def lock_suffix(self) -> str:
        """Appended to a SELECT inside ``begin_write`` to lock the rows read (PostgreSQL)."""
        return "" if self.kind == "sqlite" else " FOR UPDATE"

    def commit(self) -> None:
        if self.kind == "sqlite":
            if self.raw.in_transaction:
                self.raw.execute("COMMIT")
            self.raw.execute("BEGIN")
        else:
            self.raw.commit()

    def rollback(self) -> None:
        if self.kind == "sqlite":
            if self.raw.in_transaction:
                self.raw.execute("ROLLBACK")
        else:
            self.raw.rollback()

    def close(self) -> None:
        if self.kind == "sqlite" and self.raw.in_transaction:
            self.raw.execute("ROLLBACK")
        self.raw.close()
        if self.scratch is not None:
            self.scratch.cleanup()
