"""``PolarisServices``: the one object the screens hold (docs/services-contract.md).

It builds every service from ``Settings`` in a fixed order, so that the
audit is safe before anything can be sent:

1. open the store (migrations), read the operator's role from it
   (``identity``), and mark rows left ``pending`` by a crashed process as
   interrupted (``interrupted_at_start``; never resent);
2. build the SteVe and Lago clients;
3. build the poller and load the last snapshot, so a start during an outage
   still shows the fleet with its age;
4. build fleet, operations, cards and scan-to-login services.

``start()`` starts the poll loops, starts watching the store for other
consoles' writes (republished as ``StoreChanged``) and resumes RemoteStop
followups whose process died. ``close()`` stops and closes everything, even if one part
fails, and may be called any number of times.

The event bus is in-process: services ``publish`` events, subscribers
(the App) receive them synchronously in the services' event loop.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from polaris_tui.models import (
    AuditEntry,
    OperationLogEntry,
    Operator,
    ServiceEvent,
    SourceName,
    SourceState,
    StoreChanged,
)
from polaris_tui.models.errors import StoreError
from polaris_tui.models.live import LiveUpdatesDown
from polaris_tui.services.cards import CardService
from polaris_tui.services.charger_identity import IdentityService
from polaris_tui.services.clock import Clock, SystemClock
from polaris_tui.services.customers import CustomerService
from polaris_tui.services.fleet import FleetService
from polaris_tui.services.identity import resolve_operator
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.operations import OperationService
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.scan_login import ScanLoginService
from polaris_tui.services.sessions import SessionService
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.services.store_open import open_store
from polaris_tui.store import Store

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

CLOSE_ORDER = ("operations", "poller", "steve client", "lago client", "store")
"""Users before what they use: watchers and loops stop before the clients
and the store they call are closed."""


class PolarisServices:
    """Everything the screens may call. Build with ``await PolarisServices.open(settings)``."""

    settings: Settings
    clock: Clock
    operator: Operator
    store: Store
    steve: SteveClient
    lago: LagoClient
    poller: LivePoller
    fleet: FleetService
    operations: OperationService
    cards: CardService
    scan: ScanLoginService
    sessions: SessionService
    customers: CustomerService
    identity: IdentityService
    interrupted_at_start: list[OperationLogEntry]
    """Operations a crashed process left pending, marked interrupted by ``open()``."""
    interrupted_audits_at_start: list[AuditEntry]
    """Card edits a crashed process left pending, marked failed by ``open()``."""
    live_updates_down: LiveUpdatesDown | None
    """Since when other consoles' writes are not heard (the banner says so)."""

    def __init__(self, settings: Settings, clock: Clock, operator: Operator) -> None:
        self.settings = settings
        self.clock = clock
        self.operator = operator
        self.interrupted_at_start = []
        self.interrupted_audits_at_start = []
        self.live_updates_down: LiveUpdatesDown | None = None
        self._subscribers: list[Callable[[ServiceEvent], None]] = []
        self._started = False
        self._closed = False
        self._closers: dict[str, Callable[[], object]] = {}
        """Each part's close, registered as it is built, so close() can undo a
        half-finished open(). Closed in ``CLOSE_ORDER``."""

    # -- lifecycle -------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        steve_transport: httpx.AsyncBaseTransport | None = None,
        lago_transport: httpx.AsyncBaseTransport | None = None,
    ) -> PolarisServices:
        """Open the store (migrations, interrupted rows), build the clients,
        load the last snapshot into the poller. Does not start polling.

        Args:
            settings: the loaded settings.
            clock: injected time (default: the system clock).
            steve_transport, lago_transport: httpx transports for tests.

        Raises:
            StoreError: the store cannot be opened (nothing is left open).
        """
        clock = clock or SystemClock()
        self = cls(settings, clock, settings.operator.resolve())
        try:
            self.store = await open_store(settings.store, clock)
            self._closers["store"] = self.store.close
            self.operator = await resolve_operator(self.store, settings)
            await self._mark_interrupted()
            secrets = settings.secrets()
            self.steve = SteveClient(
                settings.steve, transport=steve_transport, clock=clock, secrets=secrets
            )
            self._closers["steve client"] = self.steve.close
            self.lago = LagoClient(settings.lago, transport=lago_transport, secrets=secrets)
            self._closers["lago client"] = self.lago.close
            self.poller = LivePoller(
                self.steve if settings.steve.url else None,
                self.lago,
                self.store,
                clock,
                settings,
                self.publish,
            )
            self._closers["poller"] = self.poller.stop
            # A viewer writes nothing: it shows the snapshot admins' consoles keep.
            self.poller.keeps_shared_copies = self.operator.can_act
            await self.poller.load_snapshot()
            self.fleet = FleetService(self.poller, self.store, self.steve, clock, settings)
            self.operations = OperationService(
                self.steve,
                self.store,
                clock,
                settings,
                self.operator,
                is_managed=self._is_managed,
                publish=self.publish,
                poller=self.poller,
            )
            self._closers["operations"] = self.operations.close
            self.cards = CardService(
                self.steve,
                self.lago,
                self.store,
                self.poller,
                clock,
                settings,
                self.operator,
                self.publish,
            )
            self.scan = ScanLoginService(self.store, clock, self.operator, self.publish)
            self.identity = IdentityService(self.steve, self.poller, self.store, clock)
            self.sessions = SessionService(self.steve, self.lago, self.store, self.poller, clock)
            self.customers = CustomerService(
                self.cards, self.sessions, self.lago, self.store, self.poller
            )
        except BaseException:
            await self.close()
            raise
        log.info(
            "services open: operator %s (%s), store %s",
            self.operator.name,
            self.operator.role.value,
            settings.store.target().describe(),
        )
        return self

    async def _mark_interrupted(self) -> None:
        if not self.store.writable:
            # A viewer's read-only database login cannot mark rows; an admin's console will.
            log.info("read-only database login: rows left pending are left for an admin")
            return
        try:
            self.interrupted_at_start = await self.store.mark_interrupted()
            self.interrupted_audits_at_start = await self.store.mark_interrupted_audits()
        except StoreError:
            if self.operator.can_act:
                raise
            # A viewer's read-only database login cannot mark rows; an admin's console will.
            log.warning("viewer session: rows left pending are left for an admin's console")

    async def start(self) -> None:
        """Start the poll loops (background tasks) and resume RemoteStop
        followups left by a process that died. Idempotent."""
        if self._started or self._closed:
            return
        self._started = True
        self.poller.start()
        try:  # other consoles' writes, live (an unwatched store still works)
            await self.store.watch_changes(self._store_changed, self._store_link)
        except StoreError as exc:
            log.warning("other consoles' changes will show on refresh only: %s", exc)
            self._store_link(str(exc))
        try:
            resumed = await self.operations.resume_watchers()
        except Exception:
            log.exception("could not resume RemoteStop followups")
        else:
            if resumed:
                log.info("resumed followup of operations %s", resumed)

    async def close(self) -> None:
        """Stop loops and watchers, close clients and the store. Idempotent;
        a failure in one part is logged and the others are still closed."""
        if self._closed:
            return
        self._closed = True
        for name in CLOSE_ORDER:
            step = self._closers.pop(name, None)
            if step is None:
                continue
            try:
                result = step()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("closing %s failed", name)
        self._subscribers.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- event bus -------------------------------------------------------------

    def subscribe(self, callback: Callable[[ServiceEvent], None]) -> Callable[[], None]:
        """(sync) Register a listener for every service event. Returns an
        unsubscribe function. Callbacks run in the services' event loop and
        must not block."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            try:
                self._subscribers.remove(callback)
            except ValueError:
                pass  # already gone: unsubscribing twice is harmless

        return unsubscribe

    def publish(self, event: ServiceEvent) -> None:
        """(sync) Deliver ``event`` to every subscriber; a failing subscriber
        is logged and does not stop the others."""
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                log.exception("subscriber %r failed on %s", callback, type(event).__name__)

    def _store_changed(self, topics: frozenset[str]) -> None:
        """Another console or the hook wrote ``topics``: tell the screens."""
        if not self._closed:
            self.publish(StoreChanged(topics=sorted(topics)))

    def _store_link(self, reason: str | None) -> None:
        """The store's change watch went down (``reason``) or came back (None)."""
        if reason is None:
            self.live_updates_down = None
        elif self.live_updates_down is None:
            self.live_updates_down = LiveUpdatesDown(since=self.clock.now(), reason=reason)
        else:  # still down: keep since when, tell the latest reason
            self.live_updates_down = LiveUpdatesDown(self.live_updates_down.since, reason)

    # -- small helpers ---------------------------------------------------------

    def source_state(self, source: SourceName) -> SourceState:
        """(sync) Current health of SteVe or Lago."""
        return self.poller.state(source)

    def _is_managed(self, charge_box_id: str) -> bool:
        """A charger is unmanaged when Polaris knows it only from its local
        inventory. An id nobody knows is left to SteVe to refuse."""
        row = self.fleet.row(charge_box_id)
        return True if row is None else row.managed
