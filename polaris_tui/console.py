"""What screens, widgets and dialogs may ask of the running App: ``Console``.

``polaris_tui.app`` imports every screen, so a screen cannot import it back
(that would be a circle). Instead the UI reaches the App through this
Protocol: ``console_of(node)`` returns ``node.app`` typed as ``Console``,
and mypy checks in ``app.py`` that ``PolarisApp`` satisfies it, so the two
cannot drift apart. Textual's own App API (``push_screen``, ``notify``,
``batch_update``…) stays on ``node.app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, cast

from textual.app import App
from textual.message_pump import MessagePump
from textual.signal import Signal
from textual.worker import Worker

from polaris_tui.models import (
    CardChanged,
    FleetChanged,
    OperationChanged,
    ScanRecorded,
    SourceStateChanged,
    StoreChanged,
)
from polaris_tui.models.sessions import SessionQuery
from polaris_tui.services.clock import Clock
from polaris_tui.services.contract import ServicesApi
from polaris_tui.services.settings import Settings

T = TypeVar("T")


class Console(Protocol):
    """The Polaris part of the App, as screens, widgets and dialogs see it."""

    @property
    def settings(self) -> Settings:
        """The loaded settings."""
        ...

    @property
    def clock(self) -> Clock:
        """Every "x ago" on screen is computed from this clock (injected in tests)."""
        ...

    @property
    def demo(self) -> bool:
        """Showing the built-in stand-in: the banner says so on every screen."""
        ...

    @property
    def open_error(self) -> str | None:
        """Why the services could not be opened (shown in the banner)."""
        ...

    @property
    def services(self) -> ServicesApi | None:
        """The services once open; None while connecting or after a failed open."""
        ...

    # Service events re-broadcast on the UI loop, one signal per kind.
    @property
    def fleet_signal(self) -> Signal[FleetChanged]: ...

    @property
    def source_signal(self) -> Signal[SourceStateChanged]: ...

    @property
    def operation_signal(self) -> Signal[OperationChanged]: ...

    @property
    def card_signal(self) -> Signal[CardChanged]: ...

    @property
    def scan_signal(self) -> Signal[ScanRecorded]: ...

    @property
    def store_signal(self) -> Signal[StoreChanged]:
        """Another console or the hook changed the shared store (``topics``)."""
        ...

    @property
    def ready_signal(self) -> Signal[ServicesApi | None]:
        """Published when the services open (and after the first poll); None on failure."""
        ...

    def run_mutation(
        self, reply_to: MessagePump, label: str, call: Callable[[], Awaitable[T]]
    ) -> Worker[T | None]:
        """Run one mutating request in an app-level worker; answer ``reply_to`` with
        ``ActionDone``. Closing the screen that asked cannot cancel it mid-flight."""
        ...

    def report_worker(self, event: Worker.StateChanged) -> None:
        """The central handler: a failed worker becomes a visible notice."""
        ...

    def show_error(self, error: BaseException, *, title: str | None = None) -> None:
        """Notify the operator (plain text, never markup) and log the error."""
        ...

    def action_refresh_now(self) -> None:
        """Poll every source now."""
        ...

    # -- navigation ------------------------------------------------------------
    def open_chargers(self) -> None: ...

    def open_charger(self, charge_box_id: str) -> Awaitable[object] | None:
        """Open one charger's detail; awaitable until it is mounted (None: not opened)."""
        ...

    def open_operation_log(self, charge_box_id: str | None = None) -> None: ...

    def open_card(self, id_tag: str) -> None: ...

    def open_cards(self) -> None: ...

    def open_sessions(self, query: SessionQuery | None = None, title: str = "Sessions") -> None:
        """Sessions under fixed filters (a charger's, a card's, a customer's)."""
        ...

    def open_session(self, transaction_id: int) -> None: ...

    def open_customer(self, text: str) -> None:
        """A customer's page by e-mail, name or Lago external id."""
        ...

    def open_audit_log(self, id_tag: str | None = None) -> None: ...


class InApp(Protocol):
    """Anything Textual attaches to the running App (a widget, a screen, a command provider)."""

    @property
    def app(self) -> App[object]: ...


def console_of(node: InApp) -> Console:
    """The running ``PolarisApp`` of ``node``, typed by what the UI may use."""
    return cast(Console, node.app)
