"""The poller's data: what it last read, the meter notes, the rows built
from them, the source states, and publishing what changed.

``LivePoller`` (poller.py) adds the cycles and loops that fill it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from polaris_tui.models import (
    CardMeta,
    ChargeBox,
    ChargerRow,
    ConnectionState,
    FleetChanged,
    FleetCounts,
    InventoryCharger,
    LagoCustomer,
    OcppTag,
    ServiceEvent,
    SourceName,
    SourceState,
    SourceStateChanged,
    Transaction,
)
from polaris_tui.models.errors import PolarisError
from polaris_tui.release import release
from polaris_tui.services.clock import Clock
from polaris_tui.services.fleet_delta import Basis, Built, rebuild_changed
from polaris_tui.services.fleet_rules import (
    FleetData,
    MeterNote,
    SessionInputs,
    read_meter,
)
from polaris_tui.services.fleet_search import SessionData
from polaris_tui.services.settings import Settings

if TYPE_CHECKING:
    from polaris_tui.services.lago_client import LagoClient
    from polaris_tui.services.steve_client import SteveClient
    from polaris_tui.store import Store


log = logging.getLogger(__name__)

REBUILD_ATTEMPTS = 3
"""Threaded row builds tried before a build racing meter notes settles on the loop."""


CLOSED_FOR = timedelta(days=1)
CLOSED_KEPT = 1_000


class PollerState:
    """The current data, rows and source states of a ``LivePoller``
    (its arguments are documented there)."""

    def __init__(
        self,
        steve: SteveClient | None,
        lago: LagoClient | None,
        store: Store | None,
        clock: Clock,
        settings: Settings,
        publish: Callable[[ServiceEvent], None],
    ) -> None:
        self.steve = steve
        self.lago = lago
        self.store = store
        self.clock = clock
        self.settings = settings
        self._publish_cb = publish
        self._chargers: list[ChargeBox] = []
        self._by_id: dict[str, ChargeBox] = {}
        self._active: list[Transaction] = []
        self._active_ids: frozenset[int] = frozenset()
        """The ids of ``_active`` (kept with it: thousands at 10,000 chargers)."""
        self._tags: list[OcppTag] = []
        self._customers: list[LagoCustomer] = []
        self._card_meta: dict[str, CardMeta] = {}
        self._inventory: list[InventoryCharger] = []
        self._status_at: datetime | None = None
        self._tx_at: datetime | None = None
        self._tags_at: datetime | None = None
        self._customers_at: datetime | None = None
        self._meter_notes: dict[int, MeterNote] = {}
        self._closed: dict[int, tuple[Transaction, datetime]] = {}
        """Sessions seen open, then gone: id -> (the session, when it was seen gone)."""
        self._last_read: dict[int, int] = {}
        """Transaction id -> sequence number of its last meter read (ties in the plan)."""
        self._rows: dict[str, ChargerRow] = {}
        self._built_from: dict[str, ChargeBox] = {}
        """The stations ``_rows`` were built from (the next build keeps the rows
        of unchanged ones)."""
        self._sessions_from: dict[str, SessionInputs] = {}
        """What ``_rows`` with open sessions were built from (the same, for them)."""
        self._basis: Basis | None = None
        """What the last build saw: the next one builds only what changed since."""
        self._rows_fetched_at: datetime | None = None
        """The last build's ``fetched_at`` of SteVe rows; rows it kept may carry an
        older one, stamped as they are read (``_stamped``)."""
        self._counts = FleetCounts()
        self._states = {name: SourceState(source=name) for name in SourceName}
        self._locks = {name: asyncio.Lock() for name in SourceName}
        self._tasks: list[asyncio.Task[None]] = []
        self._first_cycles: dict[SourceName, asyncio.Event] = {}
        """Per running loop: set once its first cycle is done (``first_poll``)."""
        self._stopping: asyncio.Event | None = None
        self._saved_at: datetime | None = None
        self._dirty = False
        self.keeps_shared_copies = True
        """Save the fleet snapshot and the Lago cache to the store. A viewer's
        console does not (it may not write): it reads what admins' consoles saved."""
        self._generation = 0
        """Counts row builds, so a threaded build finishing late is not applied."""
        self.cycles = {name: 0 for name in SourceName}
        """Completed cycles per source (for tests and the status bar)."""
        self.meter_reads = 0
        """Successful meter reads so far, sampler and detail (also the rotation's sequence)."""

    # ------------------------------------------------------------------ accessors

    def chargers(self) -> list[ChargeBox]:
        """SteVe stations with live status (snapshot until the first good cycle)."""
        return list(self._chargers)

    def charger(self, charge_box_id: str) -> ChargeBox | None:
        """One SteVe station, or None."""
        return self._by_id.get(charge_box_id)

    def active_transactions(self) -> list[Transaction]:
        return list(self._active)

    def recently_closed(self) -> list[Transaction]:
        """Sessions this console saw open and then gone, newest first (up to
        a day and ``CLOSED_KEPT`` of them): the fleet search follows them so a
        customer whose session just ended still finds the charger."""
        ordered = sorted(self._closed.values(), key=lambda pair: pair[1], reverse=True)
        return [tx for tx, _ in ordered]

    def _remember_closed(self, still: frozenset[int], at: datetime) -> None:
        """Note the sessions of ``_active`` not in ``still`` (the ids open now) as closed."""
        for tx in self._active:
            if tx.id not in still:
                self._closed[tx.id] = (tx, at)
        for tx_id, (_, seen) in list(self._closed.items()):
            if at - seen > CLOSED_FOR or tx_id in still:
                del self._closed[tx_id]
        while len(self._closed) > CLOSED_KEPT:
            del self._closed[min(self._closed, key=lambda k: self._closed[k][1])]

    def tags(self) -> list[OcppTag]:
        return list(self._tags)

    def customers(self) -> list[LagoCustomer]:
        return list(self._customers)

    def card_meta(self) -> dict[str, CardMeta]:
        """Local card metadata as read in the last cycle."""
        return dict(self._card_meta)

    def inventory(self) -> list[InventoryCharger]:
        return list(self._inventory)

    @property
    def fetched_at(self) -> datetime | None:
        """When the live status was last fetched (or the snapshot's time)."""
        return self._status_at

    @property
    def transactions_fetched_at(self) -> datetime | None:
        return self._tx_at

    @property
    def tags_fetched_at(self) -> datetime | None:
        return self._tags_at

    @property
    def customers_fetched_at(self) -> datetime | None:
        return self._customers_at

    def state(self, source: SourceName) -> SourceState:
        """Current health of one source (a copy)."""
        return self._states[source].model_copy()

    def rows(self) -> list[ChargerRow]:
        """Current charger rows (from the last build)."""
        # Copies only of rows a build kept (their time of data moved): read
        # when a screen loads the fleet, not on every poll.
        return [self._stamped(row) for row in self._rows.values()]

    def row(self, charge_box_id: str) -> ChargerRow | None:
        row = self._rows.get(charge_box_id)
        return None if row is None else self._stamped(row)

    def _stamped(self, row: ChargerRow) -> ChargerRow:
        """``row`` with its build's ``fetched_at``: a build keeps unchanged rows as
        they are, so their time of data is the build's, not their own."""
        at = self._rows_fetched_at
        if row.fetched_at == at or row.charge_box_id not in self._built_from:
            return row  # up to date, or an inventory row (no SteVe data)
        return row.model_copy(update={"fetched_at": at})

    def search_inputs(self) -> tuple[Mapping[str, ChargerRow], SessionData]:
        """What the fleet search reads, without copies (a filter keystroke at
        10,000 chargers must not copy the fleet): the current rows and session
        lists. Each is replaced by the next poll, never changed in place, so
        their identity says whether a previous search is still valid."""
        return self._rows, SessionData(
            transactions=self._active,
            customers=self._customers,
            card_meta=self._card_meta,
            tags=self._tags,
            closed=[tx for tx, _ in self._closed.values()],
        )

    def counts(self) -> FleetCounts:
        return self._counts.model_copy()

    def meter_note(self, transaction_id: int) -> MeterNote | None:
        """The last read of this session's meter values (sampler or charger detail), or None."""
        return self._meter_notes.get(transaction_id)

    async def read_meter_now(self, tx: Transaction, now: datetime) -> MeterNote:
        """Read one open session's meter values now (the charger detail's request)
        and keep the note, exactly as the sampler would.

        Returns:
            The note of this read (the detail judges its session with it).

        Raises:
            PolarisError: SteVe could not be asked (the previous note stays).
        """
        if self.steve is None:
            raise PolarisError("No SteVe is configured", title="SteVe is not configured")
        values = (await self.steve.transaction_details(tx.id)).values
        threshold = timedelta(minutes=self.settings.poll.stuck_after_minutes)
        note = read_meter(tx, values, now, threshold)
        self.note_meter(tx.id, note)
        return note

    def note_meter(self, transaction_id: int, note: MeterNote) -> None:
        """Keep a meter read made outside the sampler (the charger detail).

        Only the note is stored, and the sampler counts the session as just
        read; the row follows at the next cycle's build (in a worker thread).
        Nothing is rebuilt or published here: the reader is usually the
        charger detail, on the UI's event loop, and a publish from here
        would make it reload and read again.
        """
        if transaction_id not in self._active_ids:
            return  # closed meanwhile: nothing to remember
        self._remember(transaction_id, note)
        self._generation += 1  # a build in flight lacks this note: it must not win

    def _remember(self, transaction_id: int, note: MeterNote) -> None:
        self._meter_notes[transaction_id] = note
        self._last_read[transaction_id] = self.meter_reads
        self.meter_reads += 1

    # ------------------------------------------------------------------ publishing

    def _publish(self, event: ServiceEvent) -> None:
        try:
            self._publish_cb(event)
        except Exception:  # a subscriber's bug must not stop polling
            log.exception("a subscriber failed on %s", type(event).__name__)

    def _set_state(
        self,
        source: SourceName,
        state: ConnectionState,
        *,
        last_ok: datetime | None = None,
        error: PolarisError | None = None,
        from_snapshot: bool | None = None,
    ) -> None:
        old = self._states[source]
        update: dict[str, Any] = {
            "state": state,
            "error_title": error.title if error else None,
            "error_message": error.message if error else None,
        }
        if last_ok is not None:
            update["last_ok"] = last_ok
        if from_snapshot is not None:
            update["from_snapshot"] = from_snapshot
        if state != old.state:
            update["since"] = self.clock.now()
        new = old.model_copy(update=update)
        self._states[source] = new
        changed = (new.state, new.error_title, new.error_message, new.from_snapshot) != (
            old.state,
            old.error_title,
            old.error_message,
            old.from_snapshot,
        )
        if changed:
            self._publish(SourceStateChanged(state=new.model_copy()))

    def _fleet_data(self) -> FleetData:
        """The inputs of a row build (references to data that is replaced, never mutated)."""
        return FleetData(
            chargers=self._chargers,
            active_transactions=self._active,
            tags=self._tags,
            customers=self._customers,
            card_meta=self._card_meta,
            inventory=self._inventory,
            status_fetched_at=self._status_at,
            transactions_fetched_at=self._tx_at,
            meter_notes=dict(self._meter_notes),
        )

    def _rebuild(self) -> Callable[[], Built]:
        """The build of the rows that changed since the last build, its inputs
        taken now, on the loop (the poller replaces its data, never mutates it,
        but the meter notes are copied here): safe to run in a worker thread."""
        return partial(
            rebuild_changed,
            self._rows,
            self._fleet_data(),
            self.clock.now(),
            self.settings.poll,
            self._built_from,
            self._sessions_from,
            self._basis,
            self._counts,
        )

    def _rebuild_and_publish(self, *, force: bool = False) -> None:
        """Rebuild rows from the current data now and publish only what changed."""
        self._generation += 1
        self._apply(self._rebuild()(), force=force)

    async def _rebuild_in_thread(self) -> None:
        """The same, with the build and diff in a worker thread: at 10,000 chargers
        they take a few hundred ms that the UI's event loop should not wait for."""
        for _attempt in range(REBUILD_ATTEMPTS):
            self._generation += 1
            generation = self._generation
            result = await asyncio.to_thread(self._rebuild())
            if generation == self._generation:
                self._apply(result)
                return
            # A meter note or a local rebuild came in meanwhile: ours is older.
        self._rebuild_and_publish()  # still racing: settle it here, once

    def _apply(self, built: Built, *, force: bool = False) -> None:
        result = built.result
        # The replaced rows, stations and sessions: freed off the UI thread.
        release(self._rows, self._built_from, self._sessions_from, self._basis)
        self._basis = built.basis
        self._rows_fetched_at = built.fetched_at
        self._rows = result.rows
        self._built_from = result.boxes
        self._sessions_from = result.sessions
        self._counts = result.counts
        # Forget the meter reads of sessions that closed.
        open_ids = self._active_ids
        for tx_id in self._meter_notes.keys() - open_ids:
            del self._meter_notes[tx_id]
        for tx_id in self._last_read.keys() - open_ids:
            del self._last_read[tx_id]
        if result.changed or result.removed or force:
            # Built from rows and keys already validated: a validation pass
            # over ~2,000 changed rows a poll is ~1 ms of the UI thread.
            self._publish(
                FleetChanged.model_construct(
                    changed=result.changed,
                    removed=result.removed,
                    counts=result.counts.model_copy(),
                    fetched_at=self._status_at,
                )
            )
