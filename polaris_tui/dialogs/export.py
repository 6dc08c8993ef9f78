"""The ``ctrl+s`` question: save the table as CSV or JSON (``ModalScreen[str | None]``).

The dialog only answers; the App writes the file in an app-level worker.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ExportDialog(ModalScreen[str | None]):
    """Ask CSV or JSON; dismiss with ``"csv"``, ``"json"`` or None (cancel)."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 64; max-width: 95%; height: auto; border: thick $primary;
        background: $surface; padding: 1 2;
    }
    ExportDialog #export-title { text-style: bold; margin-bottom: 1; }
    ExportDialog #export-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    ExportDialog Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("c", "choose('csv')", "CSV"),
        Binding("j", "choose('json')", "JSON"),
        Binding("escape", "choose(None)", "Cancel"),
    ]

    def __init__(self, rows: int, name: str, folder: str) -> None:
        super().__init__()
        self._rows = rows
        self._name = name
        self._folder = folder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Content(f"Export {self._rows} rows of {self._name} as shown"), id="export-title"
            )
            yield Static(Content(f"into {self._folder}"), id="export-folder")
            with Horizontal(id="export-buttons"):
                yield Button(Content("Cancel (esc)"), id="export-cancel")
                yield Button(Content("JSON (j)"), id="export-json")
                yield Button(Content("CSV (c)"), id="export-csv", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-csv", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        choice = (event.button.id or "").removeprefix("export-")
        self.dismiss(choice if choice in ("csv", "json") else None)

    def action_choose(self, fmt: str | None) -> None:
        self.dismiss(fmt)
