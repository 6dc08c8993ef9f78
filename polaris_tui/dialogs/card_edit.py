"""Audited card edits: the confirmation dialogs and the app-level workers that apply them.

An edit is three steps for the operator and three for Polaris:

1. a key on the card page opens ``CardEditDialog`` (a typed
   ``ModalScreen[CardEdit | None]``) that asks for the new value when the edit
   takes one and always shows *before → after*;
2. on confirm, ``apply_card_edit`` runs ``services.cards.edit`` in a worker
   owned by the **App** (``PolarisApp.run_mutation``), never by the dialog or
   the page: a dialog's worker is
   cancelled when it closes and a page's when the operator leaves it
   (PITFALLS), and an edit cut off mid-request is exactly what the audit log
   exists to prevent. The service writes the audit row, then applies;
3. the result (applied, or failed with the reason) is shown as a notice, and
   comes back to the page as ``ActionDone`` (label ``card-edit``).

``revert_dialog`` (the shared ``ConfirmDialog``) and ``revert_audit_entry``
do the same for a revert.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message_pump import MessagePump
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker

from polaris_tui.console import console_of
from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.models import AuditEntry, CardEdit, CardEditKind, CardView
from polaris_tui.services.contract import CardsApi
from polaris_tui.widgets.card_format import (
    EDIT_LABELS,
    current_value,
    edit_after,
    edit_summary,
    state_text,
    value_text,
)
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import when

ID_TAG_RE = re.compile(r"^[a-zA-Z0-9.:_#-]{1,20}$")
"""SteVe's rule for an idTag (OcppTagForm): a parent must match it too."""

VALUE_KINDS = {
    CardEditKind.SET_PARENT,
    CardEditKind.SET_EXPIRY,
    CardEditKind.RELINK,
    CardEditKind.RENAME,
    CardEditKind.SET_TYPE,
}
"""Edits that need a value typed by the operator (the others toggle)."""

HINTS = {
    CardEditKind.SET_PARENT: "parent idTag; empty removes the parent",
    CardEditKind.SET_EXPIRY: "UTC: YYYY-MM-DD, YYYY-MM-DD HH:MM, or +30d; empty: never expires",
    CardEditKind.RELINK: "Lago customer external id; empty unlinks the card",
    CardEditKind.RENAME: "display name shown in Polaris; empty clears it",
    CardEditKind.SET_TYPE: "operator-assigned type, e.g. RFID, Fleet, App",
}


def parse_value(kind: CardEditKind, raw: str, *, id_tag: str, now: datetime) -> Any:
    """The typed text of ``kind`` as the value ``CardEdit`` carries.

    Raises:
        ValueError: with a message the dialog shows under the field.
    """
    text = raw.strip()
    if kind == CardEditKind.SET_PARENT:
        if not text:
            return None
        if not ID_TAG_RE.match(text):
            raise ValueError("an idTag is 1–20 characters of A–Z a–z 0–9 . : _ # -")
        if text == id_tag:
            raise ValueError("a card cannot be its own parent")
        return text
    if kind == CardEditKind.SET_EXPIRY:
        return parse_expiry(text, now)
    if kind in (CardEditKind.RELINK, CardEditKind.RENAME, CardEditKind.SET_TYPE):
        if len(text) > 200:
            raise ValueError("at most 200 characters")
        return text or None
    raise ValueError(f"{kind.value} takes no value")


def parse_expiry(text: str, now: datetime) -> datetime | None:
    """An expiry typed by the operator (UTC), or None to clear it.

    SteVe refuses a past expiry (``@Future``), so a past one is refused here,
    with the reason, before anything is written.
    """
    if not text:
        return None
    relative = re.fullmatch(r"\+(\d{1,4})d", text)
    if relative:
        value = now + timedelta(days=int(relative.group(1)))
    else:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not a date: use YYYY-MM-DD, YYYY-MM-DD HH:MM or +30d") from None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value <= now:
        raise ValueError("must be in the future (SteVe refuses a past expiry)")
    return value


def initial_text(view: CardView, kind: CardEditKind, now: datetime) -> str:
    """What the dialog's field starts with: the current value, if it can be re-sent."""
    value = current_value(view, kind)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value > now else ""
    return clean(value)


class CardEditDialog(ModalScreen[CardEdit | None]):
    """Confirm one edit of one card: before → after, and the new value when it needs one.

    Dismisses with the ``CardEdit`` to apply, or ``None`` when cancelled. It
    starts no worker: the caller applies the edit in an app-level worker.
    """

    DEFAULT_CSS = """
    CardEditDialog { align: center middle; }
    CardEditDialog > Vertical {
        width: 76; max-width: 100%; height: auto; border: thick $primary; background: $surface;
        padding: 1 2;
    }
    CardEditDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    CardEditDialog .dialog-hint { color: $text-muted; }
    CardEditDialog #edit-error { color: $error; height: auto; }
    CardEditDialog #edit-preview { margin: 1 0; height: auto; }
    CardEditDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    CardEditDialog Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("y", "apply", "Apply", show=False),
        Binding("n", "cancel", "Cancel", show=False),
    ]

    def __init__(self, view: CardView, kind: CardEditKind, *, now: datetime) -> None:
        super().__init__()
        self.view = view
        self.kind = kind
        self.now = now
        self._value: Any = None
        self._valid = True
        if kind == CardEditKind.SET_ACTIVE:
            self._value = not bool(current_value(view, kind))

    def compose(self) -> ComposeResult:
        title = Content.from_markup(
            "$label · $id", label=EDIT_LABELS[self.kind], id=clean(self.view.id_tag)
        )
        with Vertical():
            yield Label(title, classes="dialog-title")
            if self.kind in VALUE_KINDS:
                yield Label(Content(HINTS[self.kind]), classes="dialog-hint")
                yield Input(
                    value=initial_text(self.view, self.kind, self.now),
                    id="edit-value",
                    select_on_focus=False,
                )
                yield Static("", id="edit-error", markup=False)
            yield Static("", id="edit-preview", markup=False)
            yield Static(
                Content("Written to the audit log first; reversible from the Audit log."),
                classes="dialog-hint",
            )
            with Horizontal():
                yield Button(Content("Cancel (n)"), id="edit-cancel")
                yield Button(Content("Apply (y)"), id="edit-apply", variant="warning")

    def on_mount(self) -> None:
        if self.kind in VALUE_KINDS:
            field = self.query_one("#edit-value", Input)
            field.focus()
            self._revalidate(field.value)
        else:
            # A toggle: focus Cancel, so an Enter pressed by habit does not apply it.
            self._render_preview()
            self.query_one("#edit-cancel", Button).focus()

    @on(Input.Changed, "#edit-value")
    def _changed(self, event: Input.Changed) -> None:
        self._revalidate(event.value)

    @on(Input.Submitted, "#edit-value")
    def _submitted(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#edit-apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#edit-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def _revalidate(self, raw: str) -> None:
        error = self.query_one("#edit-error", Static)
        try:
            self._value = parse_value(self.kind, raw, id_tag=self.view.id_tag, now=self.now)
        except ValueError as exc:
            self._valid = False
            error.update(Content(str(exc)))
        else:
            self._valid = True
            error.update("")
        self._render_preview()

    def _unchanged(self) -> bool:
        return bool(edit_after(self.kind, self._value) == current_value(self.view, self.kind))

    def _render_preview(self) -> None:
        field, before, after = edit_summary(self.view, self.kind, self._value)
        if not self._valid:
            after = "(not valid yet)"
        preview = Content.from_markup(
            "[b]$field[/b]\n  before: $before\n  after:  [b]$after[/b]",
            field=field,
            before=before,
            after=after,
        )
        if self._valid and self._unchanged():
            preview = preview + Content("\nNo change: the card already has this value.")
        self.query_one("#edit-preview", Static).update(preview)
        self.query_one("#edit-apply", Button).disabled = not self._valid or self._unchanged()

    def action_apply(self) -> None:
        """Dismiss with the edit, if it is valid and changes something."""
        if not self._valid or self._unchanged():
            self.app.bell()
            return
        value = self._value
        if self.kind in (CardEditKind.BLOCK, CardEditKind.UNBLOCK):
            value = None
        self.dismiss(CardEdit(kind=self.kind, value=value))

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- app-level workers ---------------------------------------------------------

EDIT_ACTION = "card-edit"
"""``ActionDone.label`` of an applied edit (its ``result`` is the ``AuditEntry``)."""

REVERT_ACTION = "card-revert"
"""``ActionDone.label`` of a revert."""


def _result_notice(app: App[object], entry: AuditEntry, what: str) -> None:
    """Say how the edit ended, even when the page that asked is gone."""
    if entry.status == "applied":
        app.notify(f"{what} applied (audit #{entry.id}).", title="Card edit", markup=False)
    else:
        reason = clean(entry.error or "no reason given", limit=300)
        app.notify(
            f"{what} failed (audit #{entry.id}): {reason}",
            title="Card edit failed",
            severity="error",
            timeout=15,
            markup=False,
        )


def _run(
    reply_to: MessagePump,
    label: str,
    call: Callable[[CardsApi], Awaitable[AuditEntry]],
    what: str,
) -> Worker[AuditEntry | None] | None:
    console = console_of(reply_to)
    services = console.services
    if services is None:
        return None  # no button leads here before the services are open
    app = reply_to.app  # held now: the page that asked may be gone when the answer comes

    async def job() -> AuditEntry:
        entry = await call(services.cards)
        _result_notice(app, entry, what)
        return entry

    # An app-level worker that answers reply_to with ActionDone; a refusal
    # (PolarisError) is shown by the app when reply_to is gone.
    return console.run_mutation(reply_to, label, job)


def apply_card_edit(
    reply_to: MessagePump, id_tag: str, edit: CardEdit
) -> Worker[AuditEntry | None] | None:
    """Apply ``edit`` to ``id_tag`` in an app-level worker (survives dialogs and pages)."""
    after = value_text(edit.kind, edit_after(edit.kind, edit.value))
    what = f"{EDIT_LABELS[edit.kind]} on {clean(id_tag)}: {after}"
    return _run(reply_to, EDIT_ACTION, lambda cards: cards.edit(id_tag, edit), what)


def revert_dialog(entry: AuditEntry) -> ConfirmDialog:
    """The confirmation of a revert: what the card has now → what it gets back."""
    body = Content.from_markup(
        "$action on [b]$tag[/b], done by $actor at $when.\n\n"
        "  now:      $after\n  restored: [b]$before[/b]\n\n"
        "The revert is audited too; this entry gets 'reverted by'.",
        action=clean(entry.action),
        tag=clean(entry.id_tag),
        actor=clean(entry.actor),
        when=when(entry.created_at),
        after=state_text(entry.after),
        before=state_text(entry.before),
    )
    return ConfirmDialog(f"Revert audit entry #{entry.id}?", body, confirm_label="Revert")


def revert_audit_entry(
    reply_to: MessagePump, entry: AuditEntry
) -> Worker[AuditEntry | None] | None:
    """Revert audit entry ``entry`` in an app-level worker."""
    what = f"Revert of #{entry.id} ({clean(entry.action)} on {clean(entry.id_tag)})"
    return _run(reply_to, REVERT_ACTION, lambda cards: cards.revert(entry.id), what)
