"""The base of Polaris' own screens.

Textual posts ``Worker.StateChanged`` to the node that runs the worker and
does not bubble it, so each screen forwards it to the App's one central
handler (``PolarisApp.report_worker``), which turns a failed worker into a
visible notice. Screens also reach the services and the injected clock here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, ClassVar

from textual import events, on
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input
from textual.worker import Worker

from polaris_tui.console import Console, console_of
from polaris_tui.services.contract import ServicesApi


def css_file(name: str) -> Path:
    """A stylesheet at the repository root, or inside the installed package."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package.parent / name, package / name):
        if candidate.exists():
            return candidate
    return package.parent / name


SCREENS_CSS = css_file("screens.tcss")
"""The rules of every screen but the fleet: Textual reads a screen's
``CSS_PATH`` when it first opens; the App reads this one once the first
fleet rows are painted, so no screen opens with a full CSS reparse."""


class PolarisScreen(Screen[Any]):
    """A screen whose failed workers become notices, with services and clock at hand."""

    CSS_PATH: ClassVar[str | PurePath | list[str | PurePath] | None] = SCREENS_CSS

    HELP_TITLE: ClassVar[str | None] = None
    """The title of this screen's help (``?``); default: the class name."""
    STYLED_AT_MOUNT: ClassVar[bool] = False
    """Skip the restyle of the whole screen Textual does at its first resume:
    the mount just before styled every widget (on the charger page that
    second pass was ~0.3 s of CPU on a loaded machine)."""
    _resumed_once = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if self.STYLED_AT_MOUNT and not self._resumed_once:
            event.refresh_styles = False
        self._resumed_once = True
        super()._on_screen_resume(event)

    @property
    def console(self) -> Console:
        """The running App, typed by what screens may ask of it."""
        return console_of(self)

    @property
    def services(self) -> ServicesApi | None:
        """The app's services, or None while they are still opening."""
        return self.console.services

    def now(self) -> datetime:
        """Now, from the app's injected clock (deterministic in tests)."""
        return self.console.clock.now()

    def crumb(self) -> str:
        """This screen's name in the breadcrumb line."""
        return self.HELP_TITLE or type(self).__name__.removesuffix("Screen")

    def place(self) -> tuple[str, str | None]:
        """Where this screen is, for jumps: a jump to the same place stays."""
        return (type(self).__name__, None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.console.report_worker(event)

    @property
    def hidden_below(self) -> bool:
        """Whether an opaque screen covers this one entirely (nothing of it shows)."""
        top = self.app.screen
        return top is not self and top.styles.background.a == 1

    def _compositor_refresh(self) -> None:
        # Textual counts the first screen under the top one as visible, and a
        # change there (a footer key, a table cell) makes the top screen
        # repaint the whole terminal: 15 KB on the charger detail at every
        # fleet poll. Under an opaque screen it cannot be seen: drop it; the
        # screen repaints in full when it is on top again.
        if self.hidden_below:
            self._compositor._dirty_regions.clear()
            self._dirty_widgets.clear()
            return
        super()._compositor_refresh()

    def action_back(self) -> None:
        """Go back one screen; the first screen stays."""
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()


class FilteredScreen(PolarisScreen):
    """A list screen with a hidden ``/`` filter field above its table.

    ``/`` shows and focuses the field, typing narrows the list, ``enter``
    returns to the table. ``escape`` first leaves the field (hiding it when
    empty), then clears every filter, then goes back. Subclasses name the two
    widgets, keep ``query_text`` and redraw in ``_draw``; screens with more
    filters than the text extend ``has_filters`` and ``clear_filters``.
    """

    FILTER_ID: ClassVar[str] = ""
    """The filter ``Input``'s id (without ``#``)."""

    TABLE_ID: ClassVar[str] = ""
    """The filtered ``DataTable``'s id (without ``#``)."""

    SUBMIT_TO_TOP: ClassVar[bool] = False
    """Whether ``enter`` in the filter also puts the cursor on the first row."""

    query_text: str
    """The filter text, stripped ("" for none)."""

    def _draw(self) -> None:
        raise NotImplementedError

    def filter_field(self) -> Input:
        return self.query_one(f"#{self.FILTER_ID}", Input)

    def filter_table(self) -> DataTable[Any]:
        return self.query_one(f"#{self.TABLE_ID}", DataTable)

    def has_filters(self) -> bool:
        """Whether anything narrows the list (``escape`` clears it before going back)."""
        return bool(self.query_text)

    def clear_filters(self) -> None:
        self.query_text = ""

    def action_find(self) -> None:
        field = self.filter_field()
        field.display = True
        field.focus()

    def action_back(self) -> None:
        """Leave the filter field, then clear the filters, then go back."""
        field = self.filter_field()
        if field.has_focus:
            if not field.value:
                field.display = False
            self.filter_table().focus()
            return
        if self.has_filters():
            self.clear_filters()
            field.value = ""
            field.display = False
            self._draw()
            return
        super().action_back()

    @on(Input.Changed)
    def _query_changed(self, event: Input.Changed) -> None:
        if event.input.id != self.FILTER_ID:
            return
        self.query_text = event.value.strip()
        self._draw()

    @on(Input.Submitted)
    def _query_done(self, event: Input.Submitted) -> None:
        if event.input.id != self.FILTER_ID:
            return
        table = self.filter_table()
        table.focus()
        if self.SUBMIT_TO_TOP and table.row_count:
            table.move_cursor(row=0)


class ActionDone(Message):
    """The answer to a mutating request the App ran for a screen (``PolarisApp.run_mutation``).

    Mutations run in app-level workers so a closing modal or screen cannot
    cancel them mid-request; the answer comes back to the screen as this message.
    """

    def __init__(
        self, label: str, result: object = None, error: BaseException | None = None
    ) -> None:
        super().__init__()
        self.label = label
        """What was asked ("operation", "unlock", "close-in-db", "arm", "cancel-pairing", ...)."""
        self.result = result
        self.error = error
