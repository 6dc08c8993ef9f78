"""Card edits: audited edits of SteVe's tag fields and local metadata.

``CardEditor`` answers ``CardService.edit()``; admin only, audit row first
(docs/services-contract.md). Reverts (``card_revert.py``) share the
``AuditedCardWrites`` steps defined here.

Edits (contracts/STEVE.md §2: a tag PUT replaces every field): the tag is
read from SteVe, the audit row (who, before, after; ``pending``) is committed,
then the PUT sends every field — ``parentIdTag``, ``expiryDate`` (omitted when
already past: SteVe refuses past dates), ``maxActiveTransactionCount``,
``note`` — and the result is recorded (``applied`` or ``failed`` with the
reason). One safety rule on top: an edit or revert never turns a refused
card into an accepted one as a side effect. On an expired card the PUT would
have to drop the past expiry, so only an explicit new (or cleared) expiry is
accepted there; anything else is refused with the reason, and so is a revert
that would need a past expiry back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from polaris_tui.models import (
    AuditEntry,
    CardChanged,
    CardEdit,
    CardEditKind,
    CardMeta,
    OcppTag,
    Operator,
    ServiceEvent,
)
from polaris_tui.models.errors import (
    InvalidParams,
    NotFound,
    PermissionDenied,
    RevertRefused,
    SteveError,
    SteveTimeout,
    StoreError,
)
from polaris_tui.services.clock import Clock
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store

log = logging.getLogger(__name__)

ID_TAG_RE = re.compile(r"^[a-zA-Z0-9.:_#-]{1,20}$")
"""SteVe's OcppTagForm rule for an idTag (a parent must match it)."""


MAX_TEXT = 200
"""Longest display name, tag type or Lago customer id an edit may set."""

STEVE_KINDS = {
    CardEditKind.BLOCK,
    CardEditKind.UNBLOCK,
    CardEditKind.SET_PARENT,
    CardEditKind.SET_EXPIRY,
}
LOCAL_FIELDS = {
    CardEditKind.RELINK: "lago_customer_id",
    CardEditKind.RENAME: "display_name",
    CardEditKind.SET_TYPE: "tag_type",
    CardEditKind.SET_ACTIVE: "active",
}
"""Edits that only touch ``card_meta``, and the column each changes."""

PARENT = "parent_id_tag"
EXPIRY = "expiry_date"
MAX_ACTIVE = "max_active_transaction_count"
STEVE_FIELDS = (PARENT, EXPIRY, MAX_ACTIVE)

META_ROW = "meta_row"
"""Audit key present (False) when an edit created the card's ``card_meta`` row."""


# --------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------


def canonical_time(value: datetime | None) -> str | None:
    """A tag expiry as the audit stores it: ISO UTC, whole seconds (SteVe's
    database keeps seconds), so before/after compare exactly."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(value: object) -> datetime | None:
    """An expiry given as a datetime or ISO text (naive means UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"not a date: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def steve_state(tag: OcppTag) -> dict[str, Any]:
    """The SteVe fields an edit can change, in audit form."""
    return {
        PARENT: tag.parent_id_tag,
        EXPIRY: canonical_time(tag.expiry_date),
        MAX_ACTIVE: tag.max_active_transaction_count,
    }


def tag_form(tag: OcppTag, state: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The whole PUT body: every field SteVe would otherwise clear.

    ``expiryDate`` is omitted when absent or already past (SteVe refuses a
    past date with 400; omitting clears it — callers decide whether that is
    acceptable before calling).
    """
    form: dict[str, Any] = {
        "idTag": tag.id_tag,
        "parentIdTag": state[PARENT],
        "maxActiveTransactionCount": state[MAX_ACTIVE],
        "note": tag.note,
    }
    expiry = parse_time(state[EXPIRY])
    if expiry is not None and expiry > now:
        form["expiryDate"] = expiry
    return form


def is_default_meta(meta: CardMeta) -> bool:
    """Whether a ``card_meta`` row carries nothing beyond the defaults."""
    return (
        meta.display_name is None
        and meta.tag_type is None
        and meta.active is True
        and meta.lago_customer_id is None
    )


class AuditedCardWrites:
    """What edits and reverts share: the clients, the admin check, the SteVe
    PUT with every field kept, and recording how the audit row ended.

    Args:
        steve: the SteVe client (``find_tag``, ``update_tag``, ``list_tags``).
        lago: the Lago client (a relink reads the new customer first).
        store: the local store (card metadata, audit log).
        clock: the injected clock.
        operator: who edits.
        publish: the event bus; each finished edit is published as ``CardChanged``.
    """

    def __init__(
        self,
        steve: SteveClient,
        lago: LagoClient,
        store: Store,
        clock: Clock,
        operator: Operator,
        publish: Callable[[ServiceEvent], None] | None = None,
    ) -> None:
        self._steve = steve
        self._lago = lago
        self._store = store
        self._clock = clock
        self._operator = operator
        self._publish = publish

    def _lago_configured(self) -> bool:
        return self._lago.configured

    def _require_admin(self) -> None:
        if not self._operator.can_act:
            raise PermissionDenied(f"{self._operator.name} is a viewer and cannot edit cards.")

    @staticmethod
    def _guard_expiry(
        tag: OcppTag, current: dict[str, Any], changes: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Refuse a change that would un-expire the card as a side effect.

        SteVe cannot be sent a past expiry (400), and omitting it clears it: on
        an expired card every PUT but an explicit new (or cleared) expiry would
        make the card valid again behind the operator's back.
        """
        if EXPIRY in changes:
            target = parse_time(changes[EXPIRY])
            if target is None or target > now:
                return changes
            problem = f"its earlier expiry {changes[EXPIRY]} has passed"
        elif tag.is_expired(now):
            problem = f"the card expired on {current[EXPIRY]}"
        else:
            return changes
        raise InvalidParams(
            {
                EXPIRY: f"{problem}; SteVe refuses to store a past expiry, so this change would make "
                "the card valid again. Set a new expiry (or clear it) first."
            }
        )

    async def _apply_steve(
        self, entry: AuditEntry, tag: OcppTag, target: dict[str, Any]
    ) -> AuditEntry:
        """PUT every field, check what SteVe kept, record applied or failed."""
        form = tag_form(tag, target, self._clock.now())
        try:
            updated = await self._steve.update_tag(tag.ocpp_tag_pk, form)
        except SteveError as exc:
            reason = str(exc)
            if isinstance(exc, SteveTimeout):
                reason += " — SteVe may still have applied it: check the card"
            log.warning("card edit #%d on %s failed: %s", entry.id, entry.id_tag, reason)
            return await self._finish(entry, "failed", reason)
        kept = steve_state(updated)
        wrong = [k for k in entry.after if kept.get(k) != entry.after[k]]
        if wrong:
            detail = ", ".join(f"{k} is {kept.get(k)!r}, not {entry.after[k]!r}" for k in wrong)
            return await self._finish(entry, "failed", f"SteVe stored something else: {detail}")
        return await self._finish(entry, "applied", None)

    async def _finish(self, entry: AuditEntry, status: str, error: str | None) -> AuditEntry:
        done = await self._store.finish_audit(entry.id, status, error)
        log.info(
            "card %s: %s #%d %s%s",
            done.id_tag,
            done.action,
            done.id,
            status,
            f" ({error})" if error else "",
        )
        if self._publish is not None:
            try:
                self._publish(CardChanged(id_tag=done.id_tag, audit=done))
            except Exception:  # a subscriber's bug must not hide the result
                log.exception("publishing card change #%d failed", done.id)
        return done


__all__ = ["CardEditor", "RevertRefused", "steve_state", "tag_form"]


class CardEditor(AuditedCardWrites):
    """Audited card edits (admin only): SteVe's tag fields and local metadata."""

    async def edit(self, id_tag: str, edit: CardEdit) -> AuditEntry:
        """Apply one edit, audit first.

        Returns:
            the audit entry, ``applied`` or ``failed`` with the reason (a
            failure at SteVe is returned, not raised).

        Raises:
            PermissionDenied: the operator is a viewer.
            InvalidParams: a bad value, a no-op, or an edit that would
                un-expire the card as a side effect; nothing written.
            NotFound: a SteVe edit of a card SteVe does not know.
            SteveError / LagoError: the card (or the new Lago customer)
                could not be read first; nothing written.
        """
        self._require_admin()
        kind = CardEditKind(edit.kind)
        if kind in STEVE_KINDS:
            return await self._edit_steve(id_tag, kind, edit.value)
        return await self._edit_local(id_tag, kind, edit.value)

    # -- SteVe fields ------------------------------------------------------

    async def _read_tag(self, id_tag: str) -> OcppTag:
        tag = await self._steve.find_tag(id_tag)
        if tag is None:
            raise NotFound(f"SteVe does not know the card {id_tag}: add it in SteVe first.")
        return tag

    async def _edit_steve(self, id_tag: str, kind: CardEditKind, value: Any) -> AuditEntry:
        now = self._clock.now()
        changes: dict[str, Any]
        if kind == CardEditKind.SET_PARENT:
            tags = {t.id_tag: t for t in await self._steve.list_tags()}
            tag = tags.get(id_tag)
            if tag is None:
                raise NotFound(f"SteVe does not know the card {id_tag}: add it in SteVe first.")
            changes = {PARENT: self._check_parent(id_tag, value, tags)}
        else:
            tag = await self._read_tag(id_tag)
            if kind == CardEditKind.BLOCK:
                if tag.max_active_transaction_count == 0:
                    raise InvalidParams({"kind": "the card is already blocked"})
                changes = {MAX_ACTIVE: 0}
            elif kind == CardEditKind.UNBLOCK:
                if tag.max_active_transaction_count != 0:
                    raise InvalidParams({"kind": "the card is not blocked"})
                changes = {MAX_ACTIVE: await self._unblock_count(id_tag, value)}
            else:
                changes = {EXPIRY: self._check_expiry(value, now)}
        current = steve_state(tag)
        changes = self._guard_expiry(tag, current, changes, now)
        before = {k: current[k] for k in changes}
        if before == changes:
            raise InvalidParams({"value": "the card already has this value"})
        entry = await self._store.insert_audit(
            actor=self._operator.name,
            action=kind.value,
            id_tag=id_tag,
            before=before,
            after=changes,
        )
        return await self._apply_steve(entry, tag, {**current, **changes})

    @staticmethod
    def _check_parent(id_tag: str, value: Any, tags: Mapping[str, OcppTag]) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not ID_TAG_RE.match(value.strip()):
            raise InvalidParams({"value": "an idTag is 1–20 characters of A–Z a–z 0–9 . : _ # -"})
        parent = value.strip()
        if parent == id_tag:
            raise InvalidParams({"value": "a card cannot be its own parent"})
        if parent not in tags:
            raise InvalidParams({"value": f"SteVe does not know the card {parent}"})
        seen, walk = {parent}, tags[parent].parent_id_tag
        while walk and walk not in seen:
            if walk == id_tag:
                raise InvalidParams(
                    {"value": f"{parent} descends from {id_tag}: that would make a loop"}
                )
            seen.add(walk)
            walk = tags[walk].parent_id_tag if walk in tags else None
        return parent

    @staticmethod
    def _check_expiry(value: Any, now: datetime) -> str | None:
        try:
            expiry = parse_time(value)
        except (TypeError, ValueError):
            raise InvalidParams({"value": "not a date"}) from None
        if expiry is not None and expiry.replace(microsecond=0) <= now:
            raise InvalidParams(
                {"value": "the expiry must be in the future (SteVe refuses a past date)"}
            )
        return canonical_time(expiry)

    async def _unblock_count(self, id_tag: str, value: Any) -> int:
        """The limit to restore: the given one, else what the last block replaced, else 1."""
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value == 0 or value < -1:
                raise InvalidParams(
                    {"value": "max active transactions: -1 (unlimited) or 1 and up"}
                )
            return value
        for entry in await self._store.audit_entries(id_tag=id_tag, limit=200):
            if entry.status == "applied" and entry.after.get(MAX_ACTIVE) == 0:
                previous = entry.before.get(MAX_ACTIVE)
                if isinstance(previous, int) and previous != 0:
                    return previous
                break
        return 1

    # -- local metadata ------------------------------------------------------

    async def _edit_local(self, id_tag: str, kind: CardEditKind, value: Any) -> AuditEntry:
        column = LOCAL_FIELDS[kind]
        new = await self._check_local(kind, value)
        existing = await self._store.get_card_meta(id_tag)
        meta = existing or CardMeta(id_tag=id_tag)
        before: dict[str, Any] = {column: getattr(meta, column)}
        if before[column] == new:
            raise InvalidParams({"value": "the card already has this value"})
        if existing is None:
            before[META_ROW] = False
        entry = await self._store.insert_audit(
            actor=self._operator.name,
            action=kind.value,
            id_tag=id_tag,
            before=before,
            after={column: new},
        )
        try:
            await self._store.upsert_card_meta(meta.model_copy(update={column: new}))
        except StoreError as exc:
            return await self._finish(entry, "failed", str(exc))
        return await self._finish(entry, "applied", None)

    async def _check_local(self, kind: CardEditKind, value: Any) -> Any:
        if kind == CardEditKind.SET_ACTIVE:
            if not isinstance(value, bool):
                raise InvalidParams({"value": "active is true or false"})
            return value
        if value is not None and not isinstance(value, str):
            raise InvalidParams({"value": "text expected"})
        text = (value or "").strip() or None
        if text is not None and len(text) > MAX_TEXT:
            raise InvalidParams({"value": f"at most {MAX_TEXT} characters"})
        if kind == CardEditKind.RELINK and text is not None:
            if not self._lago_configured():
                raise InvalidParams(
                    {"value": "Lago is not configured: Polaris cannot check the customer"}
                )
            if await self._lago.customer(text) is None:
                raise InvalidParams({"value": f"Lago has no customer with external id {text}"})
        return text


__all__ = [
    "AuditedCardWrites",
    "CardEditor",
    "RevertRefused",
    "steve_state",
    "tag_form",
]
