"""The poller's saved copy: loading the last snapshot at start, saving the
SteVe data at most every ``SNAPSHOT_EVERY``, and reading the local store's
card metadata and inventory."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from polaris_tui.models import (
    ChargeBox,
    OcppTag,
    Snapshot,
    SourceName,
    StatusSource,
    Transaction,
)
from polaris_tui.models.errors import StoreError
from polaris_tui.release import release
from polaris_tui.services.poller_state import PollerState
from polaris_tui.services.steve_reading import index_stations

log = logging.getLogger(__name__)

SNAPSHOT_EVERY = timedelta(seconds=30)
"""Shortest time between two snapshot writes."""


class PollerSnapshot(PollerState):
    """Snapshot and local-store reads over the poller's data."""

    # ------------------------------------------------------------------ snapshot

    async def load_snapshot(self) -> None:
        """Load the last saved SteVe data and Lago customers (marks ``from_snapshot``).

        A missing or unreadable snapshot is logged, never raised.
        """
        if self.store is None:
            return
        try:
            snapshot = await self.store.load_snapshot()
        except (StoreError, ValueError) as exc:
            log.warning("cannot load the saved snapshot: %s", exc)
            snapshot = None
        if snapshot is not None and not self._chargers and self._status_at is None:
            self._set_steve_data(
                [self._as_snapshot(box) for box in snapshot.chargers],
                snapshot.active_transactions,
                snapshot.tags,
                snapshot.fetched_at,
            )
            self._set_state(
                SourceName.STEVE,
                self._states[SourceName.STEVE].state,
                last_ok=snapshot.fetched_at,
                from_snapshot=True,
            )
        try:
            cached = await self.store.load_customers()
        except (StoreError, ValueError) as exc:
            log.warning("cannot load the cached Lago customers: %s", exc)
            cached = None
        if cached is not None and self._customers_at is None:
            self._customers, self._customers_at = list(cached[0]), cached[1]
            self._set_state(
                SourceName.LAGO,
                self._states[SourceName.LAGO].state,
                last_ok=cached[1],
                from_snapshot=True,
            )
        await self._refresh_local()
        self._rebuild_and_publish(force=True)

    @staticmethod
    def _as_snapshot(box: ChargeBox) -> ChargeBox:
        """A station loaded from the store: every value's source says so."""
        return box.model_copy(
            update={
                "source": StatusSource.SNAPSHOT,
                "connectors": [
                    c.model_copy(update={"source": StatusSource.SNAPSHOT}) for c in box.connectors
                ],
            }
        )

    def _set_steve_data(
        self,
        chargers: list[ChargeBox] | None,
        active: list[Transaction] | None,
        tags: list[OcppTag] | None,
        at: datetime,
        *,
        by_id: dict[str, ChargeBox] | None = None,
        active_ids: frozenset[int] | None = None,
    ) -> None:
        """Keep a cycle's data. ``by_id`` and ``active_ids``: the stations' index
        and the open sessions' ids when the caller built them already (on the
        wire thread: O(fleet) work at 10,000 chargers)."""
        # What the cycle replaces (thousands of stations and sessions): freed off the UI thread.
        release(
            self._chargers if chargers is not None else None,
            self._by_id if chargers is not None else None,
            self._active if active is not None else None,
            self._tags if tags is not None else None,
        )
        if chargers is not None:
            self._chargers = chargers
            self._by_id = index_stations(chargers) if by_id is None else by_id
            self._status_at = at
        if active is not None:
            ids = frozenset(tx.id for tx in active) if active_ids is None else active_ids
            self._remember_closed(ids, at)
            self._active, self._active_ids = active, ids
            self._tx_at = at
        if tags is not None:
            self._tags = tags
            self._tags_at = at

    async def _save_snapshot(self, *, force: bool = False) -> None:
        if self.store is None or not self._dirty or not self.keeps_shared_copies:
            return
        now = self.clock.now()
        if not force and self._saved_at is not None and now - self._saved_at < SNAPSHOT_EVERY:
            return
        times = [t for t in (self._status_at, self._tx_at, self._tags_at) if t is not None]
        if not times:
            return
        # The poller's own validated data: a second validation of 10,000
        # stations and their sessions was ~15 ms of the UI thread a save.
        snapshot = Snapshot.model_construct(
            chargers=self._chargers,
            active_transactions=self._active,
            tags=self._tags,
            fetched_at=min(times),
        )
        try:
            await self.store.save_snapshot(snapshot)
        except (StoreError, ValueError) as exc:
            log.warning("cannot save the snapshot: %s", exc)
            return
        self._saved_at = now
        self._dirty = False

    async def _refresh_local(self) -> None:
        """Card metadata and inventory from the store (two queries; errors logged)."""
        if self.store is None:
            return
        try:
            self._card_meta = await self.store.card_meta_all()
            self._inventory = await self.store.inventory()
        except StoreError as exc:
            log.warning("cannot read card metadata / inventory: %s", exc)

    async def reload_local(self) -> None:
        """Re-read card metadata and inventory now and republish changed rows."""
        await self._refresh_local()
        self._rebuild_and_publish()
