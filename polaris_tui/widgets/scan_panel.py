"""Scan-to-login on one charger: armed pairings, recent intercepts, arm/cancel.

An admin arms a pairing (expiry in minutes) so the next tap at this charger
is answered BLOCKED by the pre-authorize hook and recorded as
``scan.intercepted``; the panel lists what is armed and what was intercepted.
The panel only asks: a ``Requested`` message carries the service call and
the words for its answer; the screen runs the call in an app-level worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from polaris_tui.models import Pairing, ScanEvent
from polaris_tui.services.contract import ScanApi
from polaris_tui.widgets.freshness import as_of
from polaris_tui.widgets.quiet import set_subtitle, update_static
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import coarse_ago as ago
from polaris_tui.wording import when


def _until(then: datetime, now: datetime) -> str:
    seconds = int((then - now).total_seconds())
    if seconds <= 0:
        return "expired"
    return f"in {seconds // 60}m {seconds % 60:02d}s"


class ScanPanel(Vertical):
    """Armed pairings and recent intercepts of one charger, with arm/cancel controls."""

    DEFAULT_CSS = """
    ScanPanel { height: auto; border: round $primary-darken-2; padding: 0 1; }
    ScanPanel #scan-lines { height: auto; }
    ScanPanel #scan-controls { height: auto; margin-top: 1; }
    ScanPanel #scan-minutes { width: 8; }
    ScanPanel Label { padding-right: 1; }
    ScanPanel Button { margin-left: 1; }
    """

    class Requested(Message):
        """The operator asked to arm or cancel a pairing; the screen runs ``call``."""

        def __init__(
            self,
            label: str,
            call: Callable[[ScanApi], Awaitable[Pairing]],
            done: Callable[[Pairing], str],
        ) -> None:
            super().__init__()
            self.label = label
            """The ``ActionDone`` label of the answer ("arm", "cancel-pairing")."""
            self.call = call
            self.done = done
            """What to tell the operator when the call succeeded."""

    def __init__(self, charge_box_id: str, *, can_act: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.charge_box_id = charge_box_id
        """The charger whose pairings these are."""
        self.can_act = can_act
        """Only admins may arm or cancel (the service refuses anyway)."""
        self._armed: list[Pairing] = []

    def compose(self) -> ComposeResult:
        yield Static(Content("Loading…"), id="scan-lines")
        with Horizontal(id="scan-controls"):
            yield Label(Content("Arm for"))
            yield Input("2", type="number", compact=True, id="scan-minutes")
            yield Label(Content("min"))
            yield Button(
                Content("Arm pairing"), id="scan-arm", compact=True, disabled=not self.can_act
            )
            yield Button(Content("Cancel armed"), id="scan-cancel", compact=True, disabled=True)

    def on_mount(self) -> None:
        self.border_title = Content("Scan-to-login")
        if not self.can_act:
            self.border_title = Content("Scan-to-login (viewer: read only)")

    def show(
        self,
        pairings: list[Pairing],
        intercepts: list[ScanEvent],
        now: datetime,
        fetched_at: datetime | None,
    ) -> None:
        """Redraw from the detail's pairings and intercepts."""
        set_subtitle(self, as_of(fetched_at, now))
        self._armed = [p for p in pairings if p.is_armed(now)]
        lines: list[Content] = []
        if self._armed:
            for p in self._armed:
                lines.append(
                    Content.assemble(
                        ("ARMED ", "bold $warning"),
                        f"#{p.id} by {clean(p.armed_by, limit=40)} at {when(p.armed_at)}, "
                        f"expires {when(p.expires_at)} ({_until(p.expires_at, now)})",
                    )
                )
        else:
            lines.append(Content.styled("No pairing armed on this charger.", "$text-muted"))
        if intercepts:
            lines.append(
                Content.styled("Recent intercepts (answered BLOCKED by the hook):", "bold")
            )
            for event in intercepts[:5]:
                connector = (
                    f"connector {event.connector_id}"
                    if event.connector_id is not None
                    else "connector ?"
                )
                lines.append(
                    Content(
                        f"  {clean(event.id_tag, limit=40)} · {connector} · "
                        f"{when(event.occurred_at)} ({ago(event.occurred_at, now)})"
                    )
                )
        else:
            lines.append(Content.styled("No intercepted taps recorded here.", "$text-muted"))
        update_static(self.query_one("#scan-lines", Static), Content("\n").join(lines))
        self.query_one("#scan-cancel", Button).disabled = not (self.can_act and self._armed)

    @on(Button.Pressed, "#scan-arm")
    def _arm(self, event: Button.Pressed) -> None:
        event.stop()
        text = self.query_one("#scan-minutes", Input).value.strip() or "2"
        try:
            minutes = float(text)
        except ValueError:
            self.notify("Minutes must be a number.", severity="warning", markup=False)
            return
        if not 0 < minutes <= 60:
            self.notify("Arm for between 0 and 60 minutes.", severity="warning", markup=False)
            return
        self.post_message(
            self.Requested(
                "arm",
                lambda scan: scan.arm(self.charge_box_id, minutes=minutes),
                lambda pairing: f"Pairing armed until {when(pairing.expires_at)}",
            )
        )

    @on(Button.Pressed, "#scan-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        if self._armed:
            pairing_id = self._armed[-1].id
            self.post_message(
                self.Requested(
                    "cancel-pairing",
                    lambda scan: scan.cancel(pairing_id),
                    lambda _pairing: "Pairing cancelled",
                )
            )
