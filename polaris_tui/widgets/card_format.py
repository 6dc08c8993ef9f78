"""Plain-text formatting shared by the card screens.

Pure functions over the models, so each wording (a flag, a link line, the
before → after of an edit, an audit row's fields) is written once and can be
unit-tested without a screen. They return ``str``; widgets wrap the result
with ``safe_text.plain()`` or ``Content.from_markup(... $x, x=...)`` so a
value never becomes markup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from polaris_tui.models import (
    AuditEntry,
    CardEditKind,
    CardView,
    ConnectionState,
    LagoSubscription,
    SessionRow,
    SourceState,
)
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import ago, when

STEVE_UNREACHABLE_BANNER = (
    "SteVe is unreachable right now — charging history and hierarchy may be stale"
)
"""The runbook's exact words (diagnose-card-wont-charge, step 1)."""

NONE = "(none)"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def yes_no(value: bool | None) -> str:
    """ "yes" / "no" / "unknown" for a flag that may be unknown."""
    if value is None:
        return "unknown"
    return "yes" if value else "no"


def page_title(view: CardView) -> str:
    """The runbook's page titles: a card that groups children is a meta-card."""
    return "Meta-EV Card details" if view.is_meta else "EV Card details"


def max_active_text(count: int | None) -> str:
    """SteVe's maxActiveTransactionCount in words (-1 unlimited, 0 blocked)."""
    if count is None:
        return "—"
    if count < 0:
        return f"{count} (unlimited)"
    if count == 0:
        return "0 (blocked)"
    return str(count)


def expiry_text(expiry: datetime | None, now: datetime) -> str:
    """An expiry date with whether it has passed."""
    if expiry is None:
        return "never"
    return f"{when(expiry)} (expired)" if expiry <= now else when(expiry)


def best_subscription(subs: list[LagoSubscription]) -> LagoSubscription | None:
    """The subscription that decides billing: an active one first, else the newest."""
    if not subs:
        return None
    active = [s for s in subs if s.status == "active"]
    if active:
        return active[0]
    return max(subs, key=lambda s: s.created_at or s.started_at or _EPOCH)


def linked_text(view: CardView) -> str:
    """The header's "Linked" answer: customer name, subscription, its status."""
    customer_id = view.meta.lago_customer_id if view.meta else None
    if view.customer is not None:
        name = view.customer.display_name
        sub = best_subscription(view.subscriptions)
        source = view.link_from_id_tag
        via = f" (inherited from {clean(source)})" if source and source != view.id_tag else ""
        if sub is None:
            subs = "no subscription"
        else:
            subs = f"{sub.external_id} ({sub.status})"
        return f"{name} · {subs}{via}"
    if view.lago_state.state == ConnectionState.UNREACHABLE:
        if customer_id:
            return f"{customer_id} (Lago unreachable: name and subscription unknown)"
        return "unknown (Lago unreachable)"
    if customer_id:
        return f"{customer_id} (not found in Lago)"
    return "not linked"


def source_age(state: SourceState | None, as_of: datetime | None, now: datetime) -> str:
    """How old a panel's data is, and whether it is live or left over."""
    age = ago(as_of, now) if as_of else "never fetched"
    if state is None:
        return f"as of {age}"
    if state.state == ConnectionState.UNREACHABLE:
        return f"stale: last good data {age}"
    if state.from_snapshot:
        return f"from snapshot, {age}"
    if state.state == ConnectionState.DEGRADED:
        return f"degraded, as of {age}"
    return f"as of {age}"


def steve_note(view: CardView, now: datetime) -> str | None:
    """The banner the card page shows when its SteVe data is not live."""
    state = view.steve_state
    if state.state == ConnectionState.UNREACHABLE:
        since = f" (since {ago(state.since, now)})" if state.since else ""
        return f"{STEVE_UNREACHABLE_BANNER}. Data shown is from {ago(view.data_as_of, now)}{since}."
    if state.state == ConnectionState.DEGRADED:
        return f"SteVe answers only partly right now — data as of {ago(view.data_as_of, now)}."
    return None


def lago_note(view: CardView, now: datetime) -> str | None:
    """Lago's own note: billing answers are unknown while it is down."""
    state = view.lago_state
    if state.state == ConnectionState.UNREACHABLE:
        last = ago(state.last_ok, now) if state.last_ok else "never"
        return (
            "Lago is unreachable right now — the link, subscription and sync state "
            f"cannot be checked (last good answer {last})."
        )
    if state.state == ConnectionState.DEGRADED:
        return "Lago answers only partly right now — billing details may be incomplete."
    return None


def session_synced(row: SessionRow, now: datetime) -> str:
    """The Recent transactions "Last synced" cell."""
    if row.sync_state == "synced":
        return when(row.last_synced) if row.last_synced else "synced"
    if row.sync_state == "not_synced":
        return "not synced"
    return "unknown (Lago not asked)"


def session_duration(row: SessionRow, now: datetime) -> float | None:
    """Seconds of the session; a running one counts up to now."""
    if row.duration_seconds is not None:
        return row.duration_seconds
    tx = row.transaction
    if tx.stop_timestamp is None:
        return (now - tx.start_timestamp).total_seconds()
    return (tx.stop_timestamp - tx.start_timestamp).total_seconds()


def session_kwh(row: SessionRow) -> str:
    """Energy of a session in kWh ("—" when SteVe has no numeric readings)."""
    if row.energy_kwh is not None:
        return f"{row.energy_kwh:.3f}"
    wh = row.transaction.energy_wh
    return f"{wh / 1000:.3f}" if wh is not None else "—"


# -- edits -------------------------------------------------------------------

EDIT_LABELS: dict[CardEditKind, str] = {
    CardEditKind.BLOCK: "Block",
    CardEditKind.UNBLOCK: "Unblock",
    CardEditKind.SET_PARENT: "Change parent",
    CardEditKind.SET_EXPIRY: "Set or clear expiry",
    CardEditKind.RELINK: "Relink to a Lago customer",
    CardEditKind.RENAME: "Display name",
    CardEditKind.SET_TYPE: "Tag type",
    CardEditKind.SET_ACTIVE: "Active flag",
}

EDIT_FIELDS: dict[CardEditKind, str] = {
    CardEditKind.BLOCK: "blocked in SteVe",
    CardEditKind.UNBLOCK: "blocked in SteVe",
    CardEditKind.SET_PARENT: "parent idTag (SteVe)",
    CardEditKind.SET_EXPIRY: "expiry (SteVe)",
    CardEditKind.RELINK: "Lago customer (local)",
    CardEditKind.RENAME: "display name (local)",
    CardEditKind.SET_TYPE: "tag type (local)",
    CardEditKind.SET_ACTIVE: "active flag (local)",
}


def current_value(view: CardView, kind: CardEditKind) -> Any:
    """The value the edit of ``kind`` would change, as the card has it now."""
    tag, meta = view.tag, view.meta
    if kind in (CardEditKind.BLOCK, CardEditKind.UNBLOCK):
        return tag.blocked if tag else None
    if kind == CardEditKind.SET_PARENT:
        return tag.parent_id_tag if tag else None
    if kind == CardEditKind.SET_EXPIRY:
        return tag.expiry_date if tag else None
    if kind == CardEditKind.RELINK:
        return meta.lago_customer_id if meta else None
    if kind == CardEditKind.RENAME:
        return meta.display_name if meta else None
    if kind == CardEditKind.SET_TYPE:
        return meta.tag_type if meta else None
    if kind == CardEditKind.SET_ACTIVE:
        return meta.active if meta else True
    raise ValueError(kind)


def value_text(kind: CardEditKind, value: Any) -> str:
    """One side of a before → after, in words."""
    if kind in (CardEditKind.BLOCK, CardEditKind.UNBLOCK):
        if value is None:
            return "unknown"
        return "blocked (max active transactions 0)" if value else "not blocked"
    if kind == CardEditKind.SET_EXPIRY:
        return (
            when(value)
            if isinstance(value, datetime)
            else (clean(value) if value else "never expires")
        )
    if kind == CardEditKind.SET_ACTIVE:
        return "active" if value else "inactive"
    if value is None or value == "":
        return NONE
    return clean(value)


def edit_after(kind: CardEditKind, value: Any) -> Any:
    """The value the card will have once the edit is applied."""
    if kind == CardEditKind.BLOCK:
        return True
    if kind == CardEditKind.UNBLOCK:
        return False
    return value


def edit_summary(view: CardView, kind: CardEditKind, value: Any) -> tuple[str, str, str]:
    """``(field, before, after)`` for the confirmation dialog."""
    before = value_text(kind, current_value(view, kind))
    after = value_text(kind, edit_after(kind, value))
    return EDIT_FIELDS[kind], before, after


# -- audit -------------------------------------------------------------------

FIELD_LABELS = {
    "max_active_transaction_count": "max active",
    "parent_id_tag": "parent",
    "expiry_date": "expiry",
    "lago_customer_id": "customer",
    "display_name": "name",
    "tag_type": "type",
}
"""Short names of the fields an audit entry records (the store keeps the long ones)."""

HIDDEN_FIELDS = {"meta_row"}
"""Bookkeeping keys of an audit entry that say nothing to an operator."""


def state_text(state: dict[str, Any], *, limit: int = 300) -> str:
    """An audit ``before``/``after`` dict as ``field=value, ...`` (short names, cleaned)."""
    parts = []
    for key, value in state.items():
        if key in HIDDEN_FIELDS:
            continue
        shown = NONE if value is None or value == "" else value
        if key == "expiry_date" and isinstance(value, str):
            shown = _iso_when(value)
        parts.append(f"{FIELD_LABELS.get(key, key)}={shown}")
    return clean(", ".join(parts), limit=limit) if parts else "—"


def _iso_when(value: str) -> str:
    """A stored ISO time as the screens write times; the raw text if it is not one."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return when(moment.astimezone(UTC))


def audit_status(entry: AuditEntry) -> str:
    """An audit row's status with the failure reason when there is one."""
    if entry.status == "failed" and entry.error:
        return f"failed: {clean(entry.error, limit=200)}"
    return entry.status


def audit_reverted(entry: AuditEntry) -> str:
    """Who undid this entry, or what this revert undid."""
    parts = []
    if entry.reverts is not None:
        parts.append(f"reverts #{entry.reverts}")
    if entry.reverted_by is not None:
        parts.append(f"reverted by #{entry.reverted_by}")
    return ", ".join(parts) or "—"
