"""``?``: every key of the screen the operator is on, in one list.

The list is read from the screen's active bindings at the moment ``?`` is
pressed (the focused widget's, the screen's and the app's), so it can never
drift from what the keys really do; each key is described by its one meaning
in ``widgets.keymap``.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from polaris_tui.widgets.keymap import BY_KEY, meaning_of

NOT_NOW = "not now"
"""The From column of a screen's key that is not offered at the moment (a
follow-up before its stop): said there, so the description keeps its room."""

# Keys every screen shares, described once (they come from the app or the palette).
EXTRA_KEYS: tuple[tuple[str, str], ...] = (
    ("ctrl+p", "Palette: screens, a charger or card by id"),
    ("tab", "Next panel or field (shift+tab: back)"),
)


def _meaning(binding: Binding) -> str | None:
    """The key's one meaning from the key map, said as a sentence."""
    meaning = meaning_of(binding.key)
    if meaning is None or binding.action != BY_KEY[binding.key].action:
        return None
    return meaning[0].upper() + meaning[1:].replace("`", "")


def screen_keys(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(key, what it does, where) for every binding of ``screen``.

    The screen's own keys come first (including those not offered right now,
    "not now" in the From column), then the app's, then those every screen or the focused widget has.
    """
    own = [b for b in getattr(type(screen), "BINDINGS", []) if isinstance(b, Binding)]
    own_keys = {b.key for b in own}
    rows: list[tuple[int, str, str, str]] = []
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding: Binding = active.binding
        if binding.system and binding.key != "ctrl+p":
            continue
        if binding.key in seen:
            continue
        seen.add(binding.key)
        node = active.node
        if node is screen and binding.key in own_keys:
            rank, where = 0, "this screen"
        elif node is screen.app:
            rank, where = 1, "everywhere"
        else:
            rank, where = 2, "every screen" if node is screen else type(node).__name__
        description = (
            dict(EXTRA_KEYS).get(binding.key)
            or _meaning(binding)
            or binding.description
            or binding.tooltip
            or binding.action
        )
        if not active.enabled:
            where = NOT_NOW
        rows.append((rank, screen.app.get_key_display(binding), description, where))
    for binding in own:
        if binding.key not in seen:
            seen.add(binding.key)
            rows.append(
                (
                    0,
                    screen.app.get_key_display(binding),
                    _meaning(binding) or binding.description,
                    NOT_NOW,
                )
            )
    for key, description in EXTRA_KEYS:
        if key not in seen and key.split(" / ")[0] not in seen:
            rows.append((1, key, description, "everywhere"))
    rows.sort(key=lambda r: r[0])  # stable: keeps each group's own order
    return [(key, description, where) for _rank, key, description, where in rows]


class HelpScreen(ModalScreen[None]):
    """A modal table of keys; ``escape``, ``q`` or ``?`` closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90; max-width: 98%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; padding: 0 0 1 0; }
    HelpScreen DataTable { height: auto; max-height: 30; }
    """

    BINDINGS = [
        Binding("escape", "dismiss_help", "Close"),
        Binding("question_mark", "dismiss_help", "Close", show=False),
        Binding("q", "dismiss_help", "Close", show=False),
    ]

    def __init__(self, title: str, keys: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self._title = title
        self._keys = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(f"Keys — {self._title}"), id="help-title")
            table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
            yield table
            yield Static(
                Content("not now: offered when it applies · escape closes this list"),
                classes="hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does", "From")
        for key, description, where in self._keys:
            table.add_row(Text(key, style="bold"), Text(description), Text(where, style="dim"))
        table.focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
