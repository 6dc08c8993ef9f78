"""The base of Polaris' own screens.

Textual posts ``Worker.StateChanged`` to the node that runs the worker and
does not bubble it, so each screen forwards it to the App's one central
handler (``PolarisApp.report_worker``), which turns a failed worker into a
visible notice. Screens also reach the services and the injected clock here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker

if TYPE_CHECKING:
    from polaris_tui.services.core import PolarisServices


class PolarisScreen(Screen[Any]):
    """A screen whose failed workers become notices, with services and clock at hand."""

    @property
    def services(self) -> "PolarisServices | None":
        """The app's services, or None while they are still opening."""
        return getattr(self.app, "services", None)

    def now(self) -> datetime:
        """Now, from the app's injected clock (deterministic in tests)."""
        return self.app.clock.now()  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report = getattr(self.app, "report_worker", None)
        if report is not None:
            report(event)


class ActionDone(Message):
    """The answer to a mutating request the App ran for a screen (``PolarisApp.run_mutation``).

    Mutations run in app-level workers so a closing modal or screen cannot
    cancel them mid-request; the answer comes back to the screen as this message.
    """

    def __init__(self, label: str, result: Any = None, error: BaseException | None = None) -> None:
        super().__init__()
        self.label = label
        """What was asked ("operation", "unlock", "close-in-db", "arm", "cancel-pairing", ...)."""
        self.result = result
        self.error = error
