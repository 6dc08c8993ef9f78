"""``operators`` and ``operator_audit``: who may act, kept in the store.

A role change and its audit row are written in one transaction. The first
admins come from the config file, once, while the table is empty: after
that the store is the only truth, changed with ``polaris operators grant``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from polaris_tui.models import Role
from polaris_tui.models.errors import PermissionDenied
from polaris_tui.store.backend import Tx
from polaris_tui.store.repos.base import Repository

log = logging.getLogger(__name__)

CONFIG_ACTOR = "config"
"""``granted_by`` of the admins seeded from the config file."""


class OperatorRepository(Repository):
    async def operator_roles(self) -> dict[str, Role]:
        """Every operator the store knows, with their role."""
        rows = await self.backend.read(
            lambda tx: tx.fetchall("SELECT name, role FROM operators ORDER BY name")
        )
        return {row["name"]: Role(row["role"]) for row in rows}

    async def operator_role(self, name: str) -> Role | None:
        """The stored role of ``name``, or None if the store does not know them."""
        role = await self.backend.read(
            lambda tx: tx.scalar("SELECT role FROM operators WHERE name = ?", (name,))
        )
        return None if role is None else Role(role)

    async def seed_admins(self, names: Iterable[str]) -> list[str]:
        """Make ``names`` admins if, and only if, no operator is stored yet."""
        wanted = sorted({name for name in names if name})

        async def do(tx: Tx) -> list[str]:
            if not wanted or await tx.scalar("SELECT count(*) FROM operators"):
                return []
            for name in wanted:
                await self._grant(tx, CONFIG_ACTOR, name, Role.ADMIN, None)
            return wanted

        return await self.backend.write(do)

    async def grant_role(self, actor: str, name: str, role: Role) -> Role | None:
        """Give ``name`` the ``role``, as ``actor``, audited; the role before.
        A refusal is audited as well (``refused``: why), then raised.

        Raises:
            PermissionDenied: ``actor`` is not a stored admin, or ``name`` is
                the last admin.
        """
        try:
            return await self._grant_role(actor, name, role)
        except PermissionDenied as refusal:
            await self._audit_refusal(actor, name, role, refusal.message)
            raise

    async def _audit_refusal(self, actor: str, name: str, role: Role, reason: str) -> None:
        if not self.backend.writable:  # a read-only login: the log file has it
            log.warning("refused: %s tried to make %s %s (%s)", actor, name, role.value, reason)
            return

        async def do(tx: Tx) -> None:
            before = await tx.scalar("SELECT role FROM operators WHERE name = ?", (name,))
            await self._audit(tx, actor, name, before, role, refused=reason)

        await self.backend.write(do)

    async def _grant_role(self, actor: str, name: str, role: Role) -> Role | None:

        async def do(tx: Tx) -> Role | None:
            actor_role = await tx.scalar("SELECT role FROM operators WHERE name = ?", (actor,))
            if actor_role != Role.ADMIN.value:
                raise PermissionDenied(
                    f"{actor} is not an admin in this store: only an admin can change roles."
                )
            before = await tx.scalar("SELECT role FROM operators WHERE name = ?", (name,))
            admins = await tx.scalar("SELECT count(*) FROM operators WHERE role = 'admin'")
            if before == Role.ADMIN.value and role != Role.ADMIN and admins <= 1:
                raise PermissionDenied(
                    f"{name} is the last admin: grant another admin first, or nobody could."
                )
            await self._grant(tx, actor, name, role, before)
            return None if before is None else Role(before)

        return await self.backend.write(do)

    async def _grant(self, tx: Tx, actor: str, name: str, role: Role, before: str | None) -> None:
        now = self._now()
        if before is None:
            await tx.execute(
                "INSERT INTO operators (name, role, granted_by, granted_at) VALUES (?, ?, ?, ?)",
                (name, role.value, actor, now),
            )
        else:
            await tx.execute(
                "UPDATE operators SET role = ?, granted_by = ?, granted_at = ? WHERE name = ?",
                (role.value, actor, now, name),
            )
        await self._audit(tx, actor, name, before, role)

    async def _audit(
        self,
        tx: Tx,
        actor: str,
        name: str,
        before: str | None,
        role: Role,
        *,
        refused: str | None = None,
    ) -> None:
        await tx.execute(
            "INSERT INTO operator_audit (actor, name, role_before, role_after, console_host, "
            "client_address, created_at, refused) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                actor,
                name,
                before,
                role.value,
                self.origin.console_host,
                self.origin.client_address,
                self._now(),
                refused,
            ),
        )

    async def operator_audit(self, limit: int = 100) -> list[dict[str, str | None]]:
        """Role changes and refused attempts (``refused``: why), newest first."""
        rows = await self.backend.read(
            lambda tx: tx.fetchall(
                "SELECT actor, name, role_before, role_after, console_host, client_address, "
                "created_at, refused FROM operator_audit ORDER BY id DESC LIMIT ?",
                (limit,),
            )
        )
        return [dict(row) for row in rows]
