"""Scan-to-login: pairings armed on a charger, and the taps the hook intercepted."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

from polaris_tui.models import Pairing, ScanEvent
from polaris_tui.models.errors import StoreError
from polaris_tui.store.backend import Row, Tx
from polaris_tui.store.repos.base import Repository, new_uid
from polaris_tui.store.values import UNSET, from_text, to_text

log = logging.getLogger(__name__)


def pairing_from_row(row: Row) -> Pairing:
    return Pairing(
        id=row["id"],
        charge_box_id=row["charge_box_id"],
        armed_by=row["armed_by"],
        armed_at=from_text(row["armed_at"]),
        expires_at=from_text(row["expires_at"]),
        matched_id_tag=row["matched_id_tag"],
        matched_at=from_text(row["matched_at"]),
        cancelled_at=from_text(row["cancelled_at"]),
    )


def scan_event_from_row(row: Row) -> ScanEvent:
    return ScanEvent(
        id=row["id"],
        kind=row["kind"],
        charge_box_id=row["charge_box_id"],
        connector_id=row["connector_id"],
        id_tag=row["id_tag"],
        pairing_id=row["pairing_id"],
        occurred_at=from_text(row["occurred_at"]),
    )


async def pairing_by_id(tx: Tx, pairing_id: int) -> Pairing | None:
    row = await tx.fetchone("SELECT * FROM pairings WHERE id = ?", (pairing_id,))
    return None if row is None else pairing_from_row(row)


INSERT_SCAN_EVENT = (
    "INSERT INTO scan_events (uid, kind, charge_box_id, connector_id, id_tag, pairing_id, "
    "occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *"
)


class ScanLoginRepository(Repository):
    async def insert_pairing(
        self,
        charge_box_id: str,
        *,
        armed_by: str,
        expires_at: datetime,
        armed_at: datetime | None = None,
    ) -> Pairing:
        """Arm a scan-to-login pairing on one charger."""
        armed = to_text(armed_at) if armed_at is not None else self._now()
        values = (new_uid(), charge_box_id, armed_by, armed, to_text(expires_at))

        async def do(tx: Tx) -> Pairing:
            row = await tx.fetchone(
                "INSERT INTO pairings (uid, charge_box_id, armed_by, armed_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING *",
                values,
            )
            assert row is not None
            return pairing_from_row(row)

        return await self.backend.write(do)

    async def update_pairing(
        self,
        pairing_id: int,
        *,
        matched_id_tag: str | None = UNSET,
        matched_at: datetime | None = UNSET,
        cancelled_at: datetime | None = UNSET,
        expires_at: datetime = UNSET,
    ) -> Pairing:
        """Change the given columns of a pairing (others untouched).

        Raises:
            StoreError: no such pairing.
        """
        sets: list[str] = []
        values: list[Any] = []
        for column, value in (
            ("matched_id_tag", matched_id_tag),
            ("matched_at", matched_at),
            ("cancelled_at", cancelled_at),
            ("expires_at", expires_at),
        ):
            if value is UNSET:
                continue
            sets.append(f"{column} = ?")
            values.append(to_text(value) if isinstance(value, datetime) else value)

        async def do(tx: Tx) -> Pairing:
            if sets:
                await tx.execute(
                    f"UPDATE pairings SET {', '.join(sets)} WHERE id = ?",  # noqa: S608
                    (*values, pairing_id),
                )
            pairing = await pairing_by_id(tx, pairing_id)
            if pairing is None:
                raise StoreError(f"Pairing {pairing_id} does not exist.")
            return pairing

        return await self.backend.write(do)

    async def get_pairing(self, pairing_id: int) -> Pairing | None:
        return await self.backend.read(lambda tx: pairing_by_id(tx, pairing_id))

    async def pairings(
        self, charge_box_id: str | None = None, include_inactive: bool = False
    ) -> list[Pairing]:
        """Pairings, newest first; by default only those armed now (not matched,
        not cancelled, not expired by the clock)."""
        where: list[str] = []
        params: list[Any] = []
        if charge_box_id is not None:
            where.append("charge_box_id = ?")
            params.append(charge_box_id)
        if not include_inactive:
            where.append("matched_at IS NULL AND cancelled_at IS NULL AND expires_at > ?")
            params.append(self._now())
        sql = "SELECT * FROM pairings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY armed_at DESC, id DESC"
        rows = await self.backend.read(lambda tx: tx.fetchall(sql, params))
        return [pairing_from_row(r) for r in rows]

    async def insert_scan_event(
        self,
        *,
        charge_box_id: str,
        id_tag: str,
        connector_id: int | None = None,
        pairing_id: int | None = None,
        occurred_at: datetime | None = None,
        kind: str = "scan.intercepted",
    ) -> ScanEvent:
        """Record one intercepted tap."""
        occurred = to_text(occurred_at) if occurred_at is not None else self._now()
        values = (new_uid(), kind, charge_box_id, connector_id, id_tag, pairing_id, occurred)

        async def do(tx: Tx) -> ScanEvent:
            row = await tx.fetchone(INSERT_SCAN_EVENT, values)
            assert row is not None
            return scan_event_from_row(row)

        return await self.backend.write(do)

    async def scan_events(
        self,
        *,
        charge_box_id: str | None = None,
        id_tag: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[ScanEvent]:
        """Intercepted taps, newest first."""
        where: list[str] = []
        params: list[Any] = []
        if charge_box_id is not None:
            where.append("charge_box_id = ?")
            params.append(charge_box_id)
        if id_tag is not None:
            where.append("id_tag = ?")
            params.append(id_tag)
        if since is not None:
            where.append("occurred_at >= ?")
            params.append(to_text(since))
        sql = "SELECT * FROM scan_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY occurred_at DESC, id DESC LIMIT ?"
        params.append(int(limit))
        rows = await self.backend.read(lambda tx: tx.fetchall(sql, params))
        return [scan_event_from_row(r) for r in rows]

    async def claim_pairing(
        self,
        charge_box_id: str,
        id_tag: str,
        *,
        connector_id: int | None = None,
        at: datetime | None = None,
        deadline: float | None = None,
    ) -> tuple[Pairing, ScanEvent | None] | None:
        """The hook's decision, atomic across processes (one write transaction).

        ``deadline`` (a ``time.monotonic()`` value; added for the pre-authorize
        hook): if the write lock is only obtained after it, SteVe has already
        stopped waiting and decided on its own, so nothing is claimed or
        recorded and None is returned (the event log never claims an
        intercept the charger did not see).

        Returns:
            ``(pairing, event)`` for a fresh match (the oldest armed pairing on
            that charger is matched to ``id_tag`` and a ``scan.intercepted``
            event committed); ``(pairing, None)`` for a replay of the same tap
            (a pairing still in its window already matched to this idTag: no
            second event); ``None`` when nothing is armed for this tap.
        """
        when_text = to_text(at or self.clock.now())

        async def do(tx: Tx) -> tuple[Pairing, ScanEvent | None] | None:
            if deadline is not None and time.monotonic() > deadline:  # hook: too late to matter
                log.warning(
                    "scan-to-login claim at %s skipped: past the hook's deadline", charge_box_id
                )
                return None
            replay = await tx.fetchone(
                "SELECT * FROM pairings WHERE charge_box_id = ? AND cancelled_at IS NULL "
                "AND expires_at > ? AND matched_id_tag = ? ORDER BY id DESC LIMIT 1",
                (charge_box_id, when_text, id_tag),
            )
            if replay is not None:
                return pairing_from_row(replay), None
            armed = await tx.fetchone(
                "SELECT * FROM pairings WHERE charge_box_id = ? AND cancelled_at IS NULL "
                "AND matched_at IS NULL AND expires_at > ? AND armed_at <= ? "
                "ORDER BY id LIMIT 1",
                (charge_box_id, when_text, when_text),
            )
            if armed is None:
                return None
            await tx.execute(
                "UPDATE pairings SET matched_id_tag = ?, matched_at = ? WHERE id = ?",
                (id_tag, when_text, armed["id"]),
            )
            event_row = await tx.fetchone(
                INSERT_SCAN_EVENT,
                (
                    new_uid(),
                    "scan.intercepted",
                    charge_box_id,
                    connector_id,
                    id_tag,
                    armed["id"],
                    when_text,
                ),
            )
            pairing = await pairing_by_id(tx, armed["id"])
            assert pairing is not None and event_row is not None
            return pairing, scan_event_from_row(event_row)

        return await self.backend.write(do)
