"""Reverting an applied card edit: restore only what it changed, audited too.

The revert row has ``reverts`` = the original id and the original gets
``reverted_by``. Only the fields the edit touched are restored, and only if
they still hold what the edit set; a revert that would need a past expiry
back is refused, like an edit that would un-expire a card (``card_edits``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from polaris_tui.models import AuditEntry, CardMeta
from polaris_tui.models.errors import (
    InvalidParams,
    NotFound,
    PolarisError,
    RevertRefused,
    StoreError,
)
from polaris_tui.services.card_edits import (
    EXPIRY,
    META_ROW,
    STEVE_FIELDS,
    AuditedCardWrites,
    is_default_meta,
    steve_state,
)

log = logging.getLogger(__name__)


class CardReverter(AuditedCardWrites):
    """Reverts of applied card edits (admin only)."""

    async def revert(self, audit_id: int) -> AuditEntry:
        """Restore what an applied edit changed; audited itself.

        The revert row has ``reverts`` = the original id and the original gets
        ``reverted_by``. Only the fields the edit touched are restored, and
        only if they still hold what the edit set.

        Returns:
            the revert's audit entry (``applied`` or ``failed``).

        Raises:
            PermissionDenied: a viewer.
            NotFound: no such audit entry.
            RevertRefused: not applied, already reverted, changed since, or the
                earlier state cannot be restored exactly.
        """
        self._require_admin()
        original = await self._store.get_audit(audit_id)
        if original is None:
            raise NotFound(f"There is no audit entry #{audit_id}.")
        if original.status != "applied":
            raise RevertRefused(
                f"Entry #{audit_id} is {original.status}: it changed nothing to revert."
            )
        await self._check_not_reverted(original)
        if any(k in STEVE_FIELDS for k in original.after):
            return await self._revert_steve(original)
        return await self._revert_local(original)

    async def _check_not_reverted(self, original: AuditEntry) -> None:
        if original.reverted_by is None:
            return
        by = await self._store.get_audit(original.reverted_by)
        if by is not None and by.status == "failed":
            await self._store.clear_reverted_by(
                original.id, by.id
            )  # a failed revert may be retried
            return
        state = (
            "being reverted" if by is not None and by.status == "pending" else "already reverted"
        )
        raise RevertRefused(f"Entry #{original.id} is {state} by #{original.reverted_by}.")

    def _changed_since(self, original: AuditEntry, now_state: Mapping[str, Any]) -> None:
        changed = [k for k, v in original.after.items() if k != META_ROW and now_state.get(k) != v]
        if changed:
            detail = ", ".join(
                f"{k} is now {now_state.get(k)!r} (the edit set {original.after[k]!r})"
                for k in changed
            )
            raise RevertRefused(
                f"The card changed since entry #{original.id}: {detail}. Edit it instead."
            )

    async def _revert_steve(self, original: AuditEntry) -> AuditEntry:
        now = self._clock.now()
        tag = await self._steve.find_tag(original.id_tag)
        if tag is None:
            raise RevertRefused(f"SteVe no longer knows the card {original.id_tag}.")
        current = steve_state(tag)
        self._changed_since(original, current)
        target = {k: v for k, v in original.before.items() if k in STEVE_FIELDS}
        try:
            target = self._guard_expiry(tag, current, target, now)
        except InvalidParams as exc:
            raise RevertRefused(
                f"Entry #{original.id} cannot be reverted exactly: {exc.field_errors.get(EXPIRY, exc.message)}"
            ) from None
        before = {k: current[k] for k in target}
        entry = await self._begin_revert(original, before, target)
        result = await self._apply_steve(entry, tag, {**current, **target})
        return await self._end_revert(original, result)

    async def _revert_local(self, original: AuditEntry) -> AuditEntry:
        existing = await self._store.get_card_meta(original.id_tag)
        meta = existing or CardMeta(id_tag=original.id_tag)
        columns = [k for k in original.after if k != META_ROW]
        current = {k: getattr(meta, k) for k in columns}
        self._changed_since(original, current)
        target = {k: original.before.get(k) for k in columns}
        restored = meta.model_copy(update=target)
        drop_row = (
            original.before.get(META_ROW) is False
            and existing is not None
            and is_default_meta(restored)
        )
        before = dict(current)
        after = dict(target)
        if drop_row:
            after[META_ROW] = False
        entry = await self._begin_revert(original, before, after)
        try:
            if drop_row:
                await self._store.delete_card_meta(original.id_tag)
            else:
                await self._store.upsert_card_meta(restored)
        except StoreError as exc:
            result = await self._finish(entry, "failed", str(exc))
        else:
            result = await self._finish(entry, "applied", None)
        return await self._end_revert(original, result)

    async def _begin_revert(
        self, original: AuditEntry, before: dict[str, Any], after: dict[str, Any]
    ) -> AuditEntry:
        """Commit the revert row, then claim the original (refused if another
        revert got there first)."""
        entry = await self._store.insert_audit(
            actor=self._operator.name,
            action="revert",
            id_tag=original.id_tag,
            before=before,
            after=after,
            reverts=original.id,
        )
        try:
            await self._store.set_reverted_by(original.id, entry.id)
        except PolarisError as exc:  # DuplicateSubmit: another revert won the race
            await self._finish(entry, "failed", str(exc))
            raise RevertRefused(exc.message) from None
        return entry

    async def _end_revert(self, original: AuditEntry, result: AuditEntry) -> AuditEntry:
        if result.status == "failed":
            await self._store.clear_reverted_by(original.id, result.id)
        return result


__all__ = ["CardReverter"]
