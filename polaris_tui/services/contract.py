"""The service contract: what screens, widgets and dialogs may call.

These Protocols are the seam between the UI and the services. The real
classes (``PolarisServices``, ``FleetService``, ``OperationService``,
``CardService``, ``ScanLoginService``, ``LivePoller``) satisfy them, and so
must every stand-in a test passes to ``make_app(services_factory=...)``.

This module imports only the models, the settings and the clock: a screen
can name these types without loading httpx, aiosqlite or the store.

Rules every member keeps:

* Every method is ``async`` unless its docstring starts with "(sync)".
* Results are models from ``polaris_tui.models``; never JSON, never a client.
* Errors are ``polaris_tui.models.errors.PolarisError`` subclasses only, each
  with a short ``title`` and a plain ``message`` for the operator.
* Datetimes are timezone-aware UTC, and "now" is the injected ``Clock``
  (never ``datetime.now()``), so snapshot tests are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from polaris_tui.models import (
    AuditEntry,
    ChargerDetail,
    ChargerRow,
    FleetCounts,
    OperationLogEntry,
    Operator,
    Pairing,
    ScanEvent,
    ServiceEvent,
    SourceName,
    SourceState,
)
from polaris_tui.models.live import LiveUpdatesDown
from polaris_tui.services.clock import Clock
from polaris_tui.services.contract_cards import CardsApi, IdentityApi
from polaris_tui.services.contract_operations import OperationsApi
from polaris_tui.services.contract_sessions import CustomersApi, SessionsApi
from polaris_tui.services.settings import Settings

__all__ = [
    "CardsApi",
    "IdentityApi",
    "FleetApi",
    "OperationsApi",
    "PollerApi",
    "ScanApi",
    "ServicesApi",
]


class PollerApi(Protocol):
    """The live poller as the UI sees it (``services/poller.py``'s ``LivePoller``).

    Per SteVe cycle it makes a fixed number of requests whatever the fleet
    size: live status (chargeBoxes extension, or the manager page),
    ``GET /transactions?type=ACTIVE``, ``GET /ocppTags``, then the meter
    sampler (``GET /transactions/{pk}`` within ``poll.meter_reads_per_second``,
    at most ``poll.meter_samples_per_cycle`` a cycle, never-read first). Per
    Lago cycle: ``GET /customers`` (paged). On failure the interval doubles up
    to 60 s and ``SourceState`` goes degraded or unreachable, with ``last_ok``.
    """

    @property
    def fetched_at(self) -> datetime | None:
        """(sync) When SteVe's live status was last fetched (None: never)."""
        ...

    async def refresh_now(self) -> None:
        """One poll cycle of every source, now; awaits it.

        Never overlaps a running cycle: it waits for that one instead.
        """
        ...

    async def first_poll(self) -> None:
        """Return once every source has been polled once since the loops started
        (the loops' own first cycles; ``refresh_now`` when no loop runs)."""
        ...


class FleetApi(Protocol):
    """Charger rows, search, counts and one charger's detail (``FleetService``).

    The row stuck mark follows the rules in ``services/fleet_rules.py``: the
    connector of an open transaction reports a status other than
    Charging/SuspendedEV/SuspendedEVSE, or the meter was not advancing as of
    its last read (never for a paused car). ``meter_checked_at`` says when.
    """

    def rows(self) -> list[ChargerRow]:
        """(sync) Every charger row, from the poller's current data (snapshot included)."""
        ...

    def counts(self) -> FleetCounts:
        """(sync) The fleet's counts by liveness, stuck and unmanaged."""
        ...

    def row(self, charge_box_id: str) -> ChargerRow | None:
        """(sync) One charger's row, or None when nobody knows the id."""
        ...

    def search(self, query: str) -> list[ChargerRow]:
        """(sync) Rows matching ``query``, a case-insensitive substring.

        Matches the ChargeBox ID, the description, the idTag of an open
        session, or a Lago customer's email or name (customer → linked cards,
        inherited links included → their open sessions → chargers). An empty
        query returns every row.
        """
        ...

    def search_keys(self, query: str) -> set[str] | None:
        """(sync) The ChargeBox IDs ``search`` returns, or None for an empty
        query (every row): what a filter keystroke asks, in milliseconds at
        10,000 chargers."""
        ...

    def search_note(self, query: str) -> str:
        """(sync) Why ``query`` matched no charger: what was searched, and any
        customer it names who has no open session now."""
        ...

    async def detail(self, charge_box_id: str, *, fresh: bool = True) -> ChargerDetail:
        """Everything the charger screen shows, with fresh sessions and meter values.

        Adds this charger's own requests (its active transactions and their
        meter values). When SteVe is unreachable it falls back to the
        snapshot, and ``steve_state`` says so. ``fresh=False`` sends no
        request: the poller's data, for a page complete at once.

        Raises:
            NotFound: neither SteVe nor the local inventory knows the id.
        """
        ...

    async def register_unmanaged(self, charge_box_id: str, description: str | None) -> None:
        """Record a charger Polaris knows but SteVe does not (``charger_inventory``).

        Raises:
            InvalidParams: an empty id, or SteVe already lists this charger.
            StoreError: the store refused the write.
        """
        ...


class ScanApi(Protocol):
    """Scan-to-login pairings and the pre-authorize decision (``ScanLoginService``)."""

    async def arm(self, charge_box_id: str, *, minutes: float = 2.0) -> Pairing:
        """Arm a pairing on ``charge_box_id`` for ``minutes`` from now.

        Raises:
            PermissionDenied: the operator is a viewer.
            InvalidParams: an empty id, a window outside (0, 60] minutes, or
                a pairing already armed on that charger.
            StoreError: the store cannot be written.
        """
        ...

    async def cancel(self, pairing_id: int) -> Pairing:
        """Cancel a pairing; one no longer armed is returned unchanged.

        Raises:
            PermissionDenied: the operator is a viewer.
            NotFound: no such pairing.
        """
        ...

    async def pairings(
        self, charge_box_id: str | None = None, *, include_inactive: bool = False
    ) -> list[Pairing]:
        """Pairings, newest first; by default only those armed now."""
        ...

    async def intercepts(
        self,
        *,
        charge_box_id: str | None = None,
        id_tag: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[ScanEvent]:
        """``scan.intercepted`` events, newest first."""
        ...

    async def decide(
        self,
        id_tag: str,
        charge_box_id: str,
        connector_id: int | None,
        ts_ms: int | None,
        *,
        deadline: float | None = None,
    ) -> str | None:
        """The pre-authorize answer for one tap: ``"BLOCKED"`` or None.

        Records ``scan.intercepted`` on a fresh match, atomically across
        processes. Past ``deadline`` (a ``time.monotonic()`` value) nothing
        is claimed.

        Raises:
            StoreError: the hook then fails open.
        """
        ...


class ServicesApi(Protocol):
    """Everything the screens hold: ``PolarisServices`` (``services/core.py``).

    Built by ``await PolarisServices.open(settings, clock=...)``, which opens
    the store (migrations; rows a crashed process left pending are marked
    interrupted and never resent), builds the clients and loads the last
    snapshot into the poller, without starting to poll.
    """

    @property
    def settings(self) -> Settings:
        """The loaded settings."""
        ...

    @property
    def clock(self) -> Clock:
        """The injected "now" every age and threshold is computed from."""
        ...

    @property
    def operator(self) -> Operator:
        """Who is at the console (name and role), from the settings."""
        ...

    @property
    def poller(self) -> PollerApi: ...

    @property
    def fleet(self) -> FleetApi: ...

    @property
    def operations(self) -> OperationsApi: ...

    @property
    def cards(self) -> CardsApi: ...

    @property
    def scan(self) -> ScanApi: ...

    @property
    def sessions(self) -> SessionsApi: ...

    @property
    def customers(self) -> CustomersApi: ...

    @property
    def identity(self) -> IdentityApi: ...

    @property
    def interrupted_at_start(self) -> Sequence[OperationLogEntry]:
        """Operations a crashed process left pending, marked interrupted by ``open()``."""
        ...

    @property
    def interrupted_audits_at_start(self) -> Sequence[AuditEntry]:
        """Card edits a crashed process left pending, marked failed by ``open()``."""
        ...

    @property
    def live_updates_down(self) -> LiveUpdatesDown | None:
        """Since when (and why) other consoles' writes are not heard, or None
        while they are: what is on screen may be stale until it comes back."""
        ...

    async def start(self) -> None:
        """Start the poll loops and resume RemoteStop follow-ups. Idempotent."""
        ...

    async def close(self) -> None:
        """Stop loops, close clients and the store. Idempotent; a failing part
        is logged and the others are still closed."""
        ...

    def subscribe(self, callback: Callable[[ServiceEvent], None]) -> Callable[[], None]:
        """(sync) Register a listener for every service event; returns an unsubscribe.

        Events: ``FleetChanged``, ``SourceStateChanged``, ``OperationChanged``,
        ``CardChanged``, ``ScanRecorded``. Callbacks run in the services'
        event loop and must not block.
        """
        ...

    def source_state(self, source: SourceName) -> SourceState:
        """(sync) The current health of SteVe or Lago."""
        ...
