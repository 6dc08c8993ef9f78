"""``audit_log``: card edits and their reverts."""

from __future__ import annotations

from typing import Any

from polaris_tui.models import AuditEntry
from polaris_tui.models.errors import DuplicateSubmit, StoreError
from polaris_tui.store.backend import Row, Tx
from polaris_tui.store.repos.base import Repository, new_uid
from polaris_tui.store.values import from_json, from_text, to_json

AUDIT_INTERRUPTED = (
    "Interrupted: Polaris stopped before SteVe answered; check the card before trying again."
)


def audit_from_row(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        actor=row["actor"],
        action=row["action"],
        id_tag=row["id_tag"],
        before=from_json(row["before"]) or {},
        after=from_json(row["after"]) or {},
        status=row["status"],
        error=row["error"],
        reverts=row["reverts"],
        reverted_by=row["reverted_by"],
        created_at=from_text(row["created_at"]),
    )


async def audit_by_id(tx: Tx, audit_id: int) -> AuditEntry:
    row = await tx.fetchone("SELECT * FROM audit_log WHERE id = ?", (audit_id,))
    if row is None:
        raise StoreError(f"Audit entry {audit_id} does not exist.")
    return audit_from_row(row)


class AuditRepository(Repository):
    async def insert_audit(
        self,
        *,
        actor: str,
        action: str,
        id_tag: str,
        before: dict[str, Any],
        after: dict[str, Any],
        reverts: int | None = None,
        status: str = "pending",
    ) -> AuditEntry:
        """Write and commit one audit row (``pending`` until ``finish_audit``)."""
        now = self._now()
        values = (
            new_uid(),
            actor,
            action,
            id_tag,
            to_json(before or {}),
            to_json(after or {}),
            status,
            reverts,
            self.backend.owner_token,
            now,
            self.origin.console_host,
            self.origin.client_address,
        )

        async def do(tx: Tx) -> AuditEntry:
            row = await tx.fetchone(
                "INSERT INTO audit_log (uid, actor, action, id_tag, before, after, status, "
                "reverts, owner, created_at, console_host, client_address) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                values,
            )
            assert row is not None
            return audit_from_row(row)

        return await self.backend.write(do)

    async def finish_audit(
        self, audit_id: int, status: str, error: str | None = None
    ) -> AuditEntry:
        """Record the result of an edit: ``applied`` or ``failed`` with the reason."""
        if status not in ("pending", "applied", "failed"):
            raise StoreError(f"Unknown audit status {status!r}.")
        now = self._now()

        async def do(tx: Tx) -> AuditEntry:
            await tx.execute(
                "UPDATE audit_log SET status = ?, error = ?, completed_at = ? WHERE id = ?",
                (status, error, now, audit_id),
            )
            return await audit_by_id(tx, audit_id)

        return await self.backend.write(do)

    async def set_reverted_by(self, audit_id: int, by: int) -> AuditEntry:
        """Link an edit to the entry that reverted it. Refuses a second revert.

        Raises:
            DuplicateSubmit: the entry was already reverted.
        """

        async def do(tx: Tx) -> AuditEntry:
            entry = await audit_by_id(tx, audit_id)
            if entry.reverted_by is not None and entry.reverted_by != by:
                raise DuplicateSubmit(
                    f"Audit entry #{audit_id} was already reverted by #{entry.reverted_by}."
                )
            await tx.execute("UPDATE audit_log SET reverted_by = ? WHERE id = ?", (by, audit_id))
            return await audit_by_id(tx, audit_id)

        return await self.backend.write(do)

    async def clear_reverted_by(self, audit_id: int, by: int) -> AuditEntry:
        """Undo ``set_reverted_by(audit_id, by)`` when that revert failed, so the
        edit can be reverted again. Only clears it if it still points at ``by``
        (another revert that won meanwhile is left alone)."""

        async def do(tx: Tx) -> AuditEntry:
            await tx.execute(
                "UPDATE audit_log SET reverted_by = NULL WHERE id = ? AND reverted_by = ?",
                (audit_id, by),
            )
            return await audit_by_id(tx, audit_id)

        return await self.backend.write(do)

    async def get_audit(self, audit_id: int) -> AuditEntry | None:
        row = await self.backend.read(
            lambda tx: tx.fetchone("SELECT * FROM audit_log WHERE id = ?", (audit_id,))
        )
        return None if row is None else audit_from_row(row)

    async def audit_entries(
        self, *, id_tag: str | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        """Newest first."""
        if id_tag is None:
            sql = "SELECT * FROM audit_log ORDER BY id DESC LIMIT ?"
            params: list[Any] = [int(limit)]
        else:
            sql = "SELECT * FROM audit_log WHERE id_tag = ? ORDER BY id DESC LIMIT ?"
            params = [id_tag, int(limit)]
        rows = await self.backend.read(lambda tx: tx.fetchall(sql, params))
        return [audit_from_row(r) for r in rows]

    async def mark_interrupted_audits(self) -> list[AuditEntry]:
        """Card edits left ``pending`` by a dead console become ``failed`` with a
        reason, so the audit log never shows a forever-pending edit."""
        now = self._now()
        backend = self.backend

        async def do(tx: Tx) -> list[AuditEntry]:
            rows = await tx.fetchall(
                "SELECT id, owner FROM audit_log WHERE status = 'pending' ORDER BY id"
            )
            dead = [r["id"] for r in rows if not await backend.owner_alive(tx, r["owner"])]
            for audit_id in dead:
                await tx.execute(
                    "UPDATE audit_log SET status = 'failed', error = ?, completed_at = ? "
                    "WHERE id = ?",
                    (AUDIT_INTERRUPTED, now, audit_id),
                )
            return [await audit_by_id(tx, audit_id) for audit_id in dead]

        return await backend.write(do)
