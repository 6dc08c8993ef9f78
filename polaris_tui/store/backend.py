"""The one interface both store backends offer to the repositories.

Repositories write SQL once, with ``?`` placeholders, against ``Tx``; the
PostgreSQL backend turns ``?`` into ``$1, $2…``. Where the two dialects
really differ a repository asks ``tx.dialect``. Rows are read by column
name (``row["status"]``) on both backends.

``Backend.write(fn)`` runs ``fn(tx)`` in one write transaction that no other
writer can interleave with (SQLite ``BEGIN IMMEDIATE``; PostgreSQL
``SERIALIZABLE``, retried on a serialization failure), and commits before it
returns: callers commit, then talk to SteVe, then write again. ``fn`` must
only touch the database: it may run more than once.

Seams for what comes next (issue 10): live updates across consoles hook
into ``write`` after the commit (PostgreSQL ``NOTIFY``; SQLite a cheap
``PRAGMA data_version`` check in ``read``); roles hook into
``PostgresBackend.init_roles`` (``polaris store init``) and a new numbered
migration for an ``operators`` table; who sent a row is already recorded per
console session (``console_sessions``: OS user, host, SSH client).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from polaris_tui.store.target import StoreTarget

T = TypeVar("T")

Row = Mapping[str, Any]
"""A result row: ``aiosqlite.Row`` or ``asyncpg.Record``, both read by name."""


class IntegrityViolation(Exception):  # noqa: N818 - it names the database's own term
    """A UNIQUE or foreign-key constraint refused a write (either backend).

    Internal to the store: a repository catches it inside its transaction
    (e.g. a duplicate press); one that escapes becomes a ``StoreError``."""


class Clock(Protocol):
    """What the store needs from the injected clock (services/clock.py)."""

    def now(self) -> datetime: ...


class Tx(Protocol):
    """One open transaction (or one read) on either backend."""

    dialect: str
    """``sqlite`` or ``postgresql``."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Bulk insert rows the table cannot already hold (a snapshot into
        emptied tables): ``executemany`` on SQLite, ``COPY`` on PostgreSQL."""
        ...


class Backend(Protocol):
    """A store backend: connection, transactions, schema, console sessions."""

    target: StoreTarget
    writable: bool
    """False for a read-only database login (it may only read)."""

    @property
    def owner_token(self) -> str:
        """This open store's console session, recorded on the rows it leaves pending."""
        ...

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None."""
        ...

    async def journal_mode(self) -> str: ...

    async def write(self, fn: Callable[[Tx], Awaitable[T]]) -> T: ...

    async def read(self, fn: Callable[[Tx], Awaitable[T]], *, consistent: bool = False) -> T:
        """Run ``fn`` outside any write; ``consistent`` reads in one snapshot."""
        ...

    async def owner_alive(self, tx: Tx, token: str | None) -> bool:
        """Whether the console session ``token`` still has this store open
        (on any host). Unsure counts as alive: a live row is never marked."""
        ...

    async def schema_version(self) -> int: ...

    async def migrate(self) -> int:
        """Apply every migration this Polaris knows; return the version before.

        Raises:
            StoreError: the store has a newer schema than this Polaris knows.
        """
        ...

    async def check_schema(self) -> int:
        """Refuse a store whose schema is not exactly the one this Polaris knows.

        Raises:
            StoreError: newer (upgrade Polaris) or older (run ``polaris store migrate``).
        """
        ...

    async def close(self) -> None: ...


def newer_schema_message(where: str, found: int, known: int) -> str:
    """The one line a console prints when a newer Polaris migrated its store."""
    return (
        f"The store {where} was written by a newer Polaris (schema {found}, this one "
        f"knows {known}): upgrade Polaris on this host, or use another store."
    )


def older_schema_message(where: str, found: int, known: int) -> str:
    return (
        f"The store {where} has schema {found}, this Polaris needs {known}: "
        f"run `polaris store migrate` first."
    )
