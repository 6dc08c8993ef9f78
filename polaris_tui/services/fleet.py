"""Fleet views for the screens: charger rows, counts, search, charger detail.

The rules (roll-up, liveness, stuck) live in ``fleet_rules`` and the card
links in ``card_links``; this service reads the poller's current data and
adds the open charger's own requests. Data flows one way: the poller owns
the rows and the meter notes (the detail's meter reads go through
``LivePoller.read_meter_now``), and this module imports the poller, never
the reverse.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from polaris_tui.models import (
    ChargerDetail,
    ChargerRow,
    ConnectionState,
    FleetCounts,
    InventoryCharger,
    OpenSession,
    SourceName,
)
from polaris_tui.models.errors import InvalidParams, NotFound, PolarisError, StoreError
from polaris_tui.services.clock import Clock
from polaris_tui.services.fleet_rules import FleetData, Lookups, pick_session, row_session
from polaris_tui.services.fleet_search import FleetSearch
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_wire import poll_timeout, polling

if TYPE_CHECKING:
    from polaris_tui.services.steve_client import SteveClient
    from polaris_tui.store import Store

log = logging.getLogger(__name__)

DETAIL_LIMIT = 20
"""Recent operations / intercepts shown on the charger detail."""


class FleetService:
    """Charger rows, counts, search and detail for the screens.

    Args:
        poller: the live poller (its data and rows, snapshot included).
        store: the local store (operations, pairings, intercepts, inventory).
        steve: the SteVe client (the detail's per-charger requests).
        clock: "now".
        settings: thresholds (``poll``).
    """

    def __init__(
        self,
        poller: LivePoller,
        store: Store,
        steve: SteveClient,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.poller = poller
        self.store = store
        self.steve = steve
        self.clock = clock
        self.settings = settings
        self._search = FleetSearch()

    # -- sync views -----------------------------------------------------------

    def rows(self) -> list[ChargerRow]:
        """Every charger row (SteVe stations, then local-only ones)."""
        return self.poller.rows()

    def counts(self) -> FleetCounts:
        """Totals for the counts strip."""
        return self.poller.counts()

    def row(self, charge_box_id: str) -> ChargerRow | None:
        """One row, or None if neither SteVe nor the inventory knows the id."""
        return self.poller.row(charge_box_id)

    def search_note(self, query: str) -> str:
        """Why ``query`` matched no charger, in words: what was searched, and the
        customers it names whose sessions are not open now (their page has the rest)."""
        needle = query.strip().casefold()
        named = [
            c
            for c in self.poller.customers()
            if needle
            and (needle in (c.email or "").casefold() or needle in c.display_name.casefold())
        ]
        searched = (
            f"No charger matches “{query.strip()}”: searched ChargeBox IDs, descriptions, "
            "the idTags of open sessions, and customers' e-mail or name through open sessions "
            "and those this console saw end in the last day."
        )
        if not named:
            return searched + " No Lago customer matches it either."
        who = ", ".join(c.display_name for c in named[:3])
        return (
            f"{searched} {who} {'has' if len(named) == 1 else 'have'} no open session now "
            "and none that ended since this console started; older sessions and their "
            "chargers are on the customer page (ctrl+p, the name)."
        )

    def search(self, query: str) -> list[ChargerRow]:
        """Rows matching ``query`` (case-insensitive substring) on ChargeBox ID,
        description, the idTag of any open session, or a customer's email or
        name (customer -> linked cards, inherited links included -> their open
        sessions and those seen ending in the last day -> chargers). An empty
        query returns every row."""
        rows = self.poller.rows()
        hits = self.search_keys(query)
        if hits is None:
            return rows
        return [row for row in rows if row.charge_box_id in hits]

    def search_keys(self, query: str) -> set[str] | None:
        """The ChargeBox IDs ``search`` would return (None for an empty query:
        every row). A few milliseconds at 10,000 chargers (``FleetSearch``)."""
        needle = query.strip().casefold()
        if not needle:
            return None
        rows, sessions = self.poller.search_inputs()
        return self._search.keys(needle, rows, sessions)

    # -- detail ---------------------------------------------------------------

    async def detail(self, charge_box_id: str, *, fresh: bool = True) -> ChargerDetail:
        """Everything the charger screen shows, with fresh sessions and meter values.

        Adds per-charger requests: the charger's active transactions and the
        details (meter values) of each. When SteVe is unreachable (or these
        requests fail), the poller's data is used and ``steve_state`` says so;
        that never raises. ``fresh=False`` sends no request: the poller's data
        (and the local store's), for a page that must be complete at once.

        Raises:
            NotFound: neither SteVe nor the local inventory knows the id.
        """
        row = self.poller.row(charge_box_id)
        if row is None:
            raise NotFound(f"No charger {charge_box_id!r} in SteVe or the local inventory")
        state = self.poller.state(SourceName.STEVE)
        now = self.clock.now()
        threshold = timedelta(minutes=self.settings.poll.stuck_after_minutes)
        sessions: list[OpenSession] = []
        fetched_at = row.fetched_at
        failure: PolarisError | None = None
        if row.managed:
            box = self.poller.charger(charge_box_id)
            known = [
                tx for tx in self.poller.active_transactions() if tx.charge_box_id == charge_box_id
            ]
            live = fresh and state.state != ConnectionState.UNREACHABLE
            transactions = known
            if live:
                try:
                    # A refresh read like the poller's: a hung SteVe fails it fast.
                    with polling(poll_timeout(self.settings)):
                        transactions = await self.steve.list_transactions(
                            type="ACTIVE", charge_box_ids=[charge_box_id]
                        )
                    # The sessions are fresh, the statuses are still the poller's.
                    fetched_at = min(t for t in (self.poller.fetched_at, now) if t is not None)
                except PolarisError as exc:
                    log.warning("charger detail %r: active transactions: %s", charge_box_id, exc)
                    failure = exc
                    live = False
            lookups = Lookups.of(
                FleetData(
                    tags=self.poller.tags(),
                    customers=self.poller.customers(),
                    card_meta=self.poller.card_meta(),
                )
            )
            for tx in transactions:
                note = self.poller.meter_note(tx.id)  # the last read, if SteVe cannot be asked now
                if live:
                    try:
                        # The poller keeps the note: its row follows at the next
                        # cycle's build, and the sampler rotates on. A refresh
                        # read like the poller's: a hung SteVe fails it fast.
                        with polling(poll_timeout(self.settings)):
                            note = await self.poller.read_meter_now(tx, now)
                    except PolarisError as exc:
                        log.warning(
                            "charger detail %r: transaction %d: %s", charge_box_id, tx.id, exc
                        )
                        failure = failure or exc
                sessions.append(row_session(tx, box, lookups, now, threshold, note))
            shown = pick_session(sessions)
            row = row.model_copy(
                update={
                    "open_session": shown,
                    "stuck": any(s.stuck for s in sessions),
                    "meter_checked_at": shown.meter_checked_at if shown is not None else None,
                    "fetched_at": fetched_at,
                }
            )
        if failure is not None:
            state = state.model_copy(
                update={
                    "state": ConnectionState.DEGRADED
                    if state.state == ConnectionState.LIVE
                    else state.state,
                    "error_title": failure.title,
                    "error_message": failure.message,
                }
            )
        operations, pairings, intercepts = [], [], []
        try:
            operations = await self.store.recent_operations(
                charge_box_id=charge_box_id, limit=DETAIL_LIMIT
            )
            pairings = await self.store.pairings(charge_box_id)
            intercepts = await self.store.scan_events(
                charge_box_id=charge_box_id, limit=DETAIL_LIMIT
            )
        except StoreError as exc:
            log.error("charger detail %r: local store: %s", charge_box_id, exc)
        return ChargerDetail(
            row=row,
            sessions=sessions,
            recent_operations=operations,
            pairings=pairings,
            intercepts=intercepts,
            fetched_at=fetched_at,
            steve_state=state,
        )

    async def register_unmanaged(self, charge_box_id: str, description: str | None) -> None:
        """Record a charger Polaris knows but SteVe does not (no OCPP, no operations).

        Raises:
            InvalidParams: empty id, or SteVe already lists this charger.
            StoreError: the store refused the write.
        """
        charge_box_id = charge_box_id.strip()
        if not charge_box_id:
            raise InvalidParams({"charge_box_id": "a ChargeBox ID is required"})
        if self.poller.charger(charge_box_id) is not None:
            raise InvalidParams({"charge_box_id": "SteVe already manages this charger"})
        await self.store.add_inventory(
            InventoryCharger(charge_box_id=charge_box_id, description=description, managed=False)
        )
        await self.poller.reload_local()


__all__ = ["DETAIL_LIMIT", "FleetService"]
