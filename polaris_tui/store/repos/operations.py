"""``charger_operation_log``: the audit-first record of every remote operation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from polaris_tui.models import OperationLogEntry, OperationStatus, StopFollowup
from polaris_tui.models.errors import DuplicateSubmit, StoreError
from polaris_tui.store.backend import IntegrityViolation, Row, Tx
from polaris_tui.store.repos.base import Repository, new_uid
from polaris_tui.store.values import from_json, from_text, to_json, to_text

log = logging.getLogger(__name__)

INTERRUPTED_TITLE = "Interrupted"
INTERRUPTED_MESSAGE = (
    "Polaris stopped before SteVe answered. The operation was not resent: "
    "check the charger before trying again."
)


def operation_from_row(row: Row) -> OperationLogEntry:
    return OperationLogEntry(
        id=row["id"],
        request_id=row["request_id"],
        charge_box_id=row["charge_box_id"],
        operation=row["operation"],
        params=from_json(row["params"]) or {},
        task_id=row["task_id"],
        requested_by=row["requested_by"],
        dry_run=bool(row["dry_run"]),
        status=OperationStatus(row["status"]),
        result=from_json(row["result"]),
        error_title=row["error_title"],
        error_message=row["error_message"],
        followup=StopFollowup(row["followup"]) if row["followup"] else None,
        followup_at=from_text(row["followup_at"]),
        created_at=from_text(row["created_at"]),
        completed_at=from_text(row["completed_at"]),
        console_host=row["console_host"],
        client_address=row["client_address"],
        follows=row["follows"],
    )


async def operation_by_id(tx: Tx, op_id: int) -> OperationLogEntry:
    row = await tx.fetchone("SELECT * FROM charger_operation_log WHERE id = ?", (op_id,))
    if row is None:
        raise StoreError(f"Operation log entry {op_id} does not exist.")
    return operation_from_row(row)


async def _live_rows(tx: Tx, charge_box_id: str) -> list[Row]:
    """Operations sent (not dry runs) on a charger that may still be acted on."""
    return await tx.fetchall(
        "SELECT * FROM charger_operation_log WHERE charge_box_id = ? AND dry_run = 0 "
        "AND status IN ('pending', 'submitted') ORDER BY id DESC LIMIT 200",
        (charge_box_id,),
    )


class OperationRepository(Repository):
    async def insert_operation(
        self,
        *,
        charge_box_id: str,
        operation: str,
        params: dict[str, Any],
        requested_by: str,
        dry_run: bool,
        request_id: str | None,
        refuse_identical_pending: bool = True,
        guard: Callable[[list[OperationLogEntry]], None] | None = None,
        follows: int | None = None,
    ) -> OperationLogEntry:
        """Write and commit one operation log row (``dry_run`` or ``pending``).

        ``guard`` is called, in the same write transaction, with the live
        (pending or submitted, not dry run) operations on ``charge_box_id``,
        newest first; whatever it raises refuses the row. Checked inside the
        write, two consoles cannot both pass it (the duplicate-stop guard).

        Raises:
            DuplicateSubmit: ``request_id`` was used before (one request per
                press), or an identical operation (same charger, operation and
                params) is still pending in any process.
        """
        status = OperationStatus.DRY_RUN if dry_run else OperationStatus.PENDING
        now = self._now()
        params_text = to_json(params or {})
        owner = self.backend.owner_token

        async def do(tx: Tx) -> OperationLogEntry:
            if guard is not None:
                guard([operation_from_row(r) for r in await _live_rows(tx, charge_box_id)])
            if request_id is not None:
                existing = await tx.scalar(
                    "SELECT id FROM charger_operation_log WHERE request_id = ?", (request_id,)
                )
                if existing is not None:
                    raise DuplicateSubmit(
                        f"This press was already recorded as operation #{existing}; "
                        "it is not sent twice."
                    )
            if refuse_identical_pending and not dry_run:
                pending = await tx.scalar(
                    "SELECT id FROM charger_operation_log WHERE status = 'pending' "
                    "AND charge_box_id = ? AND operation = ? AND params = ?",
                    (charge_box_id, operation, params_text),
                )
                if pending is not None:
                    raise DuplicateSubmit(
                        f"The same {operation} on {charge_box_id} is still waiting for "
                        f"SteVe (operation #{pending}); it is not sent twice."
                    )
            try:
                row = await tx.fetchone(
                    "INSERT INTO charger_operation_log (uid, request_id, charge_box_id, "
                    "operation, params, requested_by, dry_run, status, owner, created_at, "
                    "completed_at, console_host, client_address, follows) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                    (
                        new_uid(),
                        request_id,
                        charge_box_id,
                        operation,
                        params_text,
                        requested_by,
                        int(dry_run),
                        status.value,
                        owner,
                        now,
                        now if dry_run else None,
                        self.origin.console_host,
                        self.origin.client_address,
                        follows,
                    ),
                )
            except IntegrityViolation as exc:
                raise DuplicateSubmit(
                    "This press was already recorded; it is not sent twice."
                ) from exc
            assert row is not None
            return operation_from_row(row)

        return await self.backend.write(do)

    async def finish_operation(
        self,
        op_id: int,
        status: OperationStatus | str,
        task_id: int | None = None,
        result: dict[str, Any] | None = None,
        error_title: str | None = None,
        error_message: str | None = None,
        *,
        followup: StopFollowup | None = None,
    ) -> OperationLogEntry:
        """Record SteVe's answer (``submitted``) or the failure (``failed``).

        A dry-run row is never changed. Optionally starts a followup
        (``watching``) in the same transaction.
        """
        status = OperationStatus(status)
        now = self._now()
        sets = "status = ?, task_id = ?, result = ?, error_title = ?, error_message = ?, "
        sets += "completed_at = ?"
        values: list[Any] = [status.value, task_id, to_json(result), error_title, error_message]
        values.append(now)
        if followup is not None:
            sets += ", followup = ?, followup_at = ?"
            values += [followup.value, now]

        async def do(tx: Tx) -> OperationLogEntry:
            entry = await operation_by_id(tx, op_id)
            if entry.dry_run:
                raise StoreError(f"Operation {op_id} is a dry run; it has no outcome to record.")
            await tx.execute(
                f"UPDATE charger_operation_log SET {sets} WHERE id = ?",  # noqa: S608 - fixed text
                (*values, op_id),
            )
            return await operation_by_id(tx, op_id)

        return await self.backend.write(do)

    async def set_followup(
        self, op_id: int, followup: StopFollowup | str, at: Any = None
    ) -> OperationLogEntry:
        """Record what happened after a submitted RemoteStop (watching/closed/still_open)."""
        followup = StopFollowup(followup)
        at_text = to_text(at) if at is not None else self._now()
        owner = self.backend.owner_token

        async def do(tx: Tx) -> OperationLogEntry:
            await tx.execute(
                "UPDATE charger_operation_log SET followup = ?, followup_at = ?, owner = ? "
                "WHERE id = ?",
                (followup.value, at_text, owner, op_id),
            )
            return await operation_by_id(tx, op_id)

        return await self.backend.write(do)

    async def get_operation(self, op_id: int) -> OperationLogEntry | None:
        row = await self.backend.read(
            lambda tx: tx.fetchone("SELECT * FROM charger_operation_log WHERE id = ?", (op_id,))
        )
        return None if row is None else operation_from_row(row)

    async def operation_chain(self, op_id: int) -> list[OperationLogEntry]:
        """The chain ``op_id`` belongs to, oldest first: the operations it
        follows, itself, and the ones that follow it (RemoteStop -> Unlock ->
        database close). Read in one transaction so the chain is consistent."""

        async def do(tx: Tx) -> list[OperationLogEntry]:
            row = await tx.fetchone("SELECT * FROM charger_operation_log WHERE id = ?", (op_id,))
            if row is None:
                return []
            chain = [operation_from_row(row)]
            seen = {chain[0].id}
            while chain[0].follows is not None and chain[0].follows not in seen:
                parent = await tx.fetchone(
                    "SELECT * FROM charger_operation_log WHERE id = ?", (chain[0].follows,)
                )
                if parent is None:
                    break
                seen.add(parent["id"])
                chain.insert(0, operation_from_row(parent))
            while True:
                child = await tx.fetchone(
                    "SELECT * FROM charger_operation_log WHERE follows = ? ORDER BY id LIMIT 1",
                    (chain[-1].id,),
                )
                if child is None or child["id"] in seen:
                    break
                seen.add(child["id"])
                chain.append(operation_from_row(child))
            return chain

        return await self.backend.read(do)

    async def recent_operations(
        self,
        *,
        charge_box_id: str | None = None,
        requested_by: str | None = None,
        status: OperationStatus | str | None = None,
        limit: int = 100,
    ) -> list[OperationLogEntry]:
        """Newest first."""
        where: list[str] = []
        params: list[Any] = []
        if charge_box_id is not None:
            where.append("charge_box_id = ?")
            params.append(charge_box_id)
        if requested_by is not None:
            where.append("requested_by = ?")
            params.append(requested_by)
        if status is not None:
            where.append("status = ?")
            params.append(OperationStatus(status).value)
        sql = "SELECT * FROM charger_operation_log"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(int(limit))
        rows = await self.backend.read(lambda tx: tx.fetchall(sql, params))
        return [operation_from_row(r) for r in rows]

    async def live_operations_since(
        self, charge_box_id: str, since: datetime
    ) -> list[OperationLogEntry]:
        """Operations on ``charge_box_id`` sent (not dry runs) at or after
        ``since`` that are ``pending`` or ``submitted``, newest first: what
        another console may still be acting on (the duplicate-stop guard)."""
        rows = await self.backend.read(lambda tx: _live_rows(tx, charge_box_id))
        entries = [operation_from_row(r) for r in rows]
        return [e for e in entries if e.created_at is not None and e.created_at >= since]

    async def mark_interrupted(self) -> list[OperationLogEntry]:
        """Mark ``pending`` rows whose console died as ``interrupted`` (never resent).

        Rows of consoles that still have the store open (on any host) are left alone.
        """
        now = self._now()
        backend = self.backend

        async def do(tx: Tx) -> list[OperationLogEntry]:
            rows = await tx.fetchall(
                "SELECT id, owner FROM charger_operation_log WHERE status = 'pending' ORDER BY id"
            )
            dead = [r["id"] for r in rows if not await backend.owner_alive(tx, r["owner"])]
            for op_id in dead:
                await tx.execute(
                    "UPDATE charger_operation_log SET status = 'interrupted', "
                    "error_title = ?, error_message = ?, completed_at = ? WHERE id = ?",
                    (INTERRUPTED_TITLE, INTERRUPTED_MESSAGE, now, op_id),
                )
            return [await operation_by_id(tx, op_id) for op_id in dead]

        marked = await backend.write(do)
        for entry in marked:
            log.warning(
                "operation #%d %s on %s was left pending by a crash: marked interrupted",
                entry.id,
                entry.operation,
                entry.charge_box_id,
            )
        return marked

    async def claim_orphaned_watches(self) -> list[OperationLogEntry]:
        """RemoteStop followups (``watching``) whose watcher console died: take
        them over (owner = this store) so this process can finish watching."""
        backend = self.backend

        async def do(tx: Tx) -> list[OperationLogEntry]:
            rows = await tx.fetchall(
                "SELECT id, owner FROM charger_operation_log WHERE followup = 'watching' "
                "ORDER BY id"
            )
            orphans = [r["id"] for r in rows if not await backend.owner_alive(tx, r["owner"])]
            for op_id in orphans:
                await tx.execute(
                    "UPDATE charger_operation_log SET owner = ? WHERE id = ?",
                    (backend.owner_token, op_id),
                )
            return [await operation_by_id(tx, op_id) for op_id in orphans]

        return await backend.write(do)
