"""A yes/no question as a typed modal (``ModalScreen[bool]``).

Used before every live operation (built from the service's
``OperationPreview``). For operations that stop or refuse charging the
focused answer is No, so an Enter pressed by habit sends nothing; other
operations focus Yes. The dialog only answers; the caller runs the request
in an app-level worker, because a worker started on a modal dies when the
modal closes (PITFALLS).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDialog(ModalScreen[bool]):
    """Ask one question; dismiss with True (confirm) or False (cancel).

    ``body`` must already be safe: build it with ``Content.assemble`` and
    ``clean()`` for anything untrusted (a charger id, an idTag).
    """

    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical {
        width: 72; max-width: 95%; height: auto; border: thick $warning;
        background: $surface; padding: 1 2;
    }
    ConfirmDialog #confirm-title { text-style: bold; margin-bottom: 1; }
    ConfirmDialog #confirm-buttons { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmDialog Button { margin-left: 2; }
    """

    # The default answer's button carries this class. Focused by Textual as
    # soon as the dialog is composed, not in on_mount: a key pressed while the
    # dialog is still being mounted can dismiss it first, and a query run
    # after that finds no buttons.
    AUTO_FOCUS = ".-default-answer"

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel"),
    ]

    def __init__(
        self,
        title: str,
        body: Content,
        *,
        confirm_label: str = "Yes, do it",
        danger: bool = True,
        default_no: bool = True,
    ) -> None:
        super().__init__()
        self.default_no = default_no
        """Enter answers No (the operation stops or refuses charging)."""
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self._title), id="confirm-title")
            yield Static(self._body, id="confirm-body")
            with Horizontal(id="confirm-buttons"):
                # Stopping or refusing charging: "No" is focused, an Enter by
                # habit must not confirm.
                default = "-default-answer"
                yield Button(
                    Content("No (n)"), id="confirm-no", classes=default if self.default_no else ""
                )
                yield Button(
                    Content(f"{self._confirm_label} (y)"),
                    id="confirm-yes",
                    variant="error" if self._danger else "primary",
                    classes="" if self.default_no else default,
                )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, answer: bool) -> None:
        if answer and not self.is_mounted:
            # A "y" typed ahead, before the question was on screen, is not a
            # yes to it; "n" and Escape always cancel.
            return
        self.dismiss(answer)
