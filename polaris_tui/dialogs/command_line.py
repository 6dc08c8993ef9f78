"""The ``:`` command line (as in k9s): type a place, jump there.

A one-line modal at the bottom. ``tab`` completes (again: the next
candidate), ``up``/``down`` walk this session's history, ``enter`` jumps,
``escape`` closes it. The candidates under the line are built from cleaned
text: a charger id or idTag is untrusted and never markup.

Card tags come from the services once the line is open (a worker on the
dialog: it only reads, and a read lost with the dialog costs nothing).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from polaris_tui.services.jump import CommandHistory, Jump, JumpError, complete, parse
from polaris_tui.widgets.safe_text import clean

SHOWN_CANDIDATES = 6


class CommandLine(ModalScreen[Jump | None]):
    """Ask for a place; dismiss with the ``Jump`` or None (escape)."""

    DEFAULT_CSS = """
    CommandLine { align: left bottom; background: $background 30%; }
    CommandLine > Vertical {
        height: auto; width: 100%; background: $surface; border-top: solid $accent;
        padding: 0 1;
    }
    CommandLine #command-row { height: 1; }
    CommandLine #command-prompt { width: 2; text-style: bold; color: $accent; }
    CommandLine #command-input { border: none; height: 1; padding: 0; width: 1fr; }
    CommandLine #command-hint { color: $text-muted; height: auto; }
    CommandLine #command-hint.-error { color: $error; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("tab", "complete", "Complete", show=False, priority=True),
        Binding("up", "history(-1)", "Older", show=False, priority=True),
        Binding("down", "history(1)", "Newer", show=False, priority=True),
    ]

    def __init__(self, history: CommandHistory, charger_ids: list[str]) -> None:
        super().__init__()
        self.history = history
        self.charger_ids = charger_ids
        self.card_tags: list[str] = []
        self._cycle: list[str] = []
        """The candidates ``tab`` steps through, while the line is one of them."""
        history.reset()

    def compose(self) -> ComposeResult:
        with Vertical():
            with Horizontal(id="command-row"):
                yield Static(":", id="command-prompt")
                yield Input(
                    placeholder="chargers, cards, ops, audit, charger CP-…, card TAG",
                    id="command-input",
                    select_on_focus=False,
                )
            yield Static(id="command-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self._show_candidates("")

    def set_card_tags(self, tags: list[str]) -> None:
        """The card idTags to complete, once the app has read them."""
        self.card_tags = tags
        self._show_candidates(self.query_one(Input).value)

    def candidates(self, text: str) -> list[str]:
        return complete(text, charger_ids=self.charger_ids, card_tags=self.card_tags)

    def _show_candidates(self, text: str) -> None:
        hint = self.query_one("#command-hint", Static)
        hint.remove_class("-error")
        found = self.candidates(text)
        if not found:
            hint.update(Content("no completion · enter to jump · esc to close"))
            return
        shown = [clean(c, limit=60) for c in found[:SHOWN_CANDIDATES]]
        more = f"  (+{len(found) - SHOWN_CANDIDATES})" if len(found) > SHOWN_CANDIDATES else ""
        hint.update(Content("  ".join(shown) + more + "   · tab completes"))

    @on(Input.Changed, "#command-input")
    def _changed(self, event: Input.Changed) -> None:
        if event.value not in self._cycle:
            self._cycle = []
        self._show_candidates(event.value)

    def action_complete(self) -> None:
        field = self.query_one(Input)
        if self._cycle and field.value in self._cycle:
            at = self._cycle.index(field.value)
            choice = self._cycle[(at + 1) % len(self._cycle)]
        else:
            self._cycle = self.candidates(field.value)
            if not self._cycle:
                return
            choice = self._cycle[0]
        if len(self._cycle) == 1 and choice in ("charger", "card"):
            choice += " "  # the word is whole: go on to its id
            self._cycle = []
        field.value = choice
        field.cursor_position = len(choice)

    def action_history(self, step: int) -> None:
        line = self.history.older() if step < 0 else self.history.newer()
        if line is None:
            return
        field = self.query_one(Input)
        field.value = line
        field.cursor_position = len(line)

    @on(Input.Submitted, "#command-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            jump = parse(event.value, charger_ids=self.charger_ids, card_tags=self.card_tags)
        except JumpError as error:
            hint = self.query_one("#command-hint", Static)
            hint.update(Content(clean(str(error), limit=200)))
            hint.add_class("-error")
            return
        self.history.add(jump.line())
        self.dismiss(jump)

    def action_close(self) -> None:
        self.dismiss(None)
