"""A confirmation the operator types: the last resort's dialog.

The database-only close is confirmed by typing the transaction id; the
confirm button stays disabled until the typed text matches. The dialog
answers with the typed text (the service checks it again) or None.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class TypedConfirmDialog(ModalScreen[str | None]):
    """Ask the operator to type ``expected`` to confirm; dismiss with it, or None."""

    DEFAULT_CSS = """
    TypedConfirmDialog { align: center middle; }
    TypedConfirmDialog > Vertical {
        width: 84; max-width: 98%; height: auto; max-height: 98%;
        border: thick $error; background: $surface; padding: 0 1;
    }
    TypedConfirmDialog #typed-title { text-style: bold; color: $error; }
    TypedConfirmDialog #typed-scroll { height: auto; max-height: 20; }
    TypedConfirmDialog #typed-input { margin-top: 1; }
    TypedConfirmDialog #typed-buttons { height: auto; align-horizontal: right; }
    TypedConfirmDialog Button { margin-left: 2; }
    """

    # Focused as soon as it is composed (not in on_mount, which can run after
    # an Escape typed ahead has already dismissed the dialog).
    AUTO_FOCUS = "#typed-input"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, body: Content, expected: str, *, confirm_label: str) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self.expected = expected
        """What the operator must type (the transaction id)."""
        self._confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self._title), id="typed-title")
            with VerticalScroll(id="typed-scroll"):
                yield Static(self._body, id="typed-body")
            yield Input(
                placeholder=f"type {self.expected} to confirm",
                id="typed-input",
                compact=True,
            )
            with Horizontal(id="typed-buttons"):
                yield Button(Content("Cancel (esc)"), id="typed-no", compact=True)
                yield Button(
                    Content(self._confirm_label),
                    id="typed-yes",
                    variant="error",
                    disabled=True,
                    compact=True,
                )

    @on(Input.Changed, "#typed-input")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#typed-yes", Button).disabled = event.value.strip() != self.expected

    @on(Input.Submitted, "#typed-input")
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip() == self.expected:
            self.dismiss(event.value.strip())

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "typed-yes":
            self.dismiss(self.query_one("#typed-input", Input).value.strip())
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
