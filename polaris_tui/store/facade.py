"""``Store``: the one object services hold, whichever backend is behind it.

It is the repositories (one per concern, in ``repos/``) put together over one
backend, so callers keep the method names they had when the store was one
SQLite class: ``store.insert_operation(...)``, ``store.save_snapshot(...)``.
Nothing here knows SQL or a driver; ``Store.open`` picks the backend from
``store.url``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from polaris_tui.store.backend import Backend, Clock, Tx
from polaris_tui.store.changes import ChangeCallback, LinkCallback
from polaris_tui.store.origin import Origin, current_origin
from polaris_tui.store.repos.audit import AuditRepository
from polaris_tui.store.repos.cards import CardMetaRepository
from polaris_tui.store.repos.fleet import FleetSnapshotRepository
from polaris_tui.store.repos.lago import LagoCacheRepository
from polaris_tui.store.repos.operations import OperationRepository
from polaris_tui.store.repos.operators import OperatorRepository
from polaris_tui.store.repos.scan_login import ScanLoginRepository
from polaris_tui.store.sqlite_backend import SqliteBackend
from polaris_tui.store.target import StoreTarget, parse_store_url

# PostgreSQL's driver (asyncpg) is imported only for a PostgreSQL store: a
# console on the SQLite default never needs it (~35 ms of its start).
if TYPE_CHECKING:
    from polaris_tui.store.postgres_backend import PostgresBackend

T = TypeVar("T")


async def open_backend(
    target: StoreTarget, *, origin: Origin, shared_group: bool = False
) -> SqliteBackend | PostgresBackend:
    """Connect to the store, without touching its schema."""
    if target.is_sqlite:
        return await SqliteBackend.open(target, shared_group=shared_group)
    from polaris_tui.store.postgres_backend import PostgresBackend

    return await PostgresBackend.open(target, origin=origin)


class Store(
    OperationRepository,
    OperatorRepository,
    AuditRepository,
    CardMetaRepository,
    FleetSnapshotRepository,
    LagoCacheRepository,
    ScanLoginRepository,
):
    """Every table of Polaris' state. Open with ``await Store.open(...)``,
    always ``await store.close()``."""

    backend: SqliteBackend | PostgresBackend

    def __init__(
        self, backend: SqliteBackend | PostgresBackend, clock: Clock, origin: Origin
    ) -> None:
        super().__init__(backend, clock, origin)

    @classmethod
    async def open(
        cls,
        target: Path | str | StoreTarget,
        *,
        clock: Clock,
        migrate: bool = True,
        shared_group: bool = False,
        origin: Origin | None = None,
    ) -> Store:
        """Open the store at ``target`` (a path, ``sqlite:///…`` or ``postgresql://…``).

        Args:
            migrate: apply the migrations this Polaris knows (SQLite consoles
                do; a console on PostgreSQL leaves that to ``polaris store
                migrate`` and refuses an older schema instead).
            shared_group: SQLite only: create the file 0660 for its folder's group.

        Raises:
            StoreError: it cannot be opened, or its schema is newer than this
                Polaris knows (or older, with ``migrate=False``).
            ConfigError: ``target`` is not a path or a known URL.
        """
        parsed = target if isinstance(target, StoreTarget) else parse_store_url(target)
        origin = origin or current_origin()
        backend = await open_backend(parsed, origin=origin, shared_group=shared_group)
        try:
            if migrate:
                await backend.migrate()
            else:
                await backend.check_schema()
            if not isinstance(backend, SqliteBackend):
                await backend.start_session()
        except BaseException:
            await backend.close()
            raise
        return cls(backend, clock, origin)

    # -- lifecycle and plumbing ---------------------------------------------------

    @property
    def target(self) -> StoreTarget:
        return self.backend.target

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        return self.backend.path

    @property
    def owner_token(self) -> str:
        """Identifies this open store in the ``owner`` column of pending rows."""
        return self.backend.owner_token

    @property
    def writable(self) -> bool:
        """False when the database login may only read (PostgreSQL's
        ``polaris_viewer``): this console must not try to write at all."""
        return self.backend.writable

    async def watch_changes(
        self, callback: ChangeCallback, on_link: LinkCallback | None = None
    ) -> None:
        """Call ``callback(topics)`` whenever another console (or the hook)
        commits a change to operations, cards, pairings or operators, until
        ``close()``: PostgreSQL LISTEN/NOTIFY, or SQLite's ``data_version``.

        ``on_link(reason)`` says the watch is down (a lost connection to the
        server: it reconnects by itself), ``on_link(None)`` that it is back;
        on coming back every topic is announced, so screens catch up.

        Raises:
            StoreError: the watch cannot be set up (SQLite: the file).
        """
        await self.backend.watch_changes(callback, on_link)

    async def close(self) -> None:
        """Close every connection (idempotent). Always call it."""
        await self.backend.close()

    async def schema_version(self) -> int:
        return await self.backend.schema_version()

    async def journal_mode(self) -> str:
        """SQLite's journal mode (``wal``); ``postgresql`` on PostgreSQL."""
        return await self.backend.journal_mode()

    async def write(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``fn(tx)`` in one write transaction (see ``Backend.write``).
        For new repository code; ``fn`` must only touch the database."""
        return await self.backend.write(fn)

    async def read(self, fn: Callable[[Tx], Awaitable[T]], *, consistent: bool = False) -> T:
        return await self.backend.read(fn, consistent=consistent)


def _conforms(backend: SqliteBackend | PostgresBackend) -> Backend:
    """Both backends satisfy the one interface (checked by mypy)."""
    return backend
