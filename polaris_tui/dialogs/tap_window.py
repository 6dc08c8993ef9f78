"""The ``T`` question on the card page: when and at which charger was the tap?

Two fields, typed: when (empty = the last hour; ``6h``, ``2d`` to widen;
``14:05`` or ``2026-11-22 14:05`` for a moment, UTC) and where (empty =
any charger). ``enter`` in either field applies, ``escape`` cancels. A
value Polaris cannot read stays on screen with the reason; nothing is
asked of SteVe until it reads. ``ModalScreen[TapQuery | None]``.
"""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from polaris_tui.models.errors import InvalidParams
from polaris_tui.models.identity import TapQuery
from polaris_tui.services.tap_query import WHEN_HELP, parse_tap


class TapWindowDialog(ModalScreen[TapQuery | None]):
    """Ask when and where; dismiss with the parsed ``TapQuery`` or None."""

    DEFAULT_CSS = """
    TapWindowDialog { align: center middle; }
    TapWindowDialog > Vertical {
        width: 72; max-width: 98%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    TapWindowDialog #tap-title { text-style: bold; }
    TapWindowDialog .tap-label { margin-top: 1; }
    TapWindowDialog #tap-error { color: $error; height: auto; }
    TapWindowDialog #tap-help { color: $text-muted; }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, id_tag: str, now: datetime, when: str = "", where: str = "") -> None:
        super().__init__()
        self._id_tag = id_tag
        self._now = now
        self._when = when
        self._where = where

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content.from_markup("When and where did $tag fail?", tag=self._id_tag),
                id="tap-title",
            )
            yield Static(Content("When (empty: the last hour)"), classes="tap-label")
            yield Input(self._when, placeholder=WHEN_HELP, id="tap-when")
            yield Static(Content("Charger (empty: any charger)"), classes="tap-label")
            yield Input(self._where, placeholder="ChargeBox ID", id="tap-where")
            yield Static("", id="tap-error", markup=False)
            yield Static(Content("enter: look · tab: next field · esc: cancel"), id="tap-help")

    def on_mount(self) -> None:
        self.query_one("#tap-when", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        when_text = self.query_one("#tap-when", Input).value
        where_text = self.query_one("#tap-where", Input).value
        try:
            query = parse_tap(when_text, where_text, self._now)
        except InvalidParams as exc:
            self.query_one("#tap-error", Static).update(
                Content(f"When: {exc.field_errors.get('when', str(exc))}")
            )
            return
        self.dismiss(query)

    def action_cancel(self) -> None:
        self.dismiss(None)
