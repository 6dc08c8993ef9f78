"""``python -m tests.badday.quiet_probe``: a bordered panel updated through
``widgets/quiet.py``, one step per ``n`` key, on a real terminal.

The steps are the changes a panel sees while idle (an age that grows, a
subtitle whose stamp moves) and the ones that must repaint more (a style
change, a line that wraps to more rows, a line added). The test
(``test_13_quiet_repaint.py``) checks that the terminal then shows every
line exactly, which a partial repaint of the wrong cells would break.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Static

from polaris_tui.partial_updates import install
from polaris_tui.widgets.quiet import set_subtitle, update_static

LONG = "a note long enough to wrap onto a second row of this narrow panel"
STEPS: list[tuple[list[tuple[str, str]], str]] = [
    (
        [("last heartbeat 45s ago", ""), ("meter read 20s ago", ""), (LONG, "")],
        "as of 07:26Z · 45s ago",
    ),
    (
        [("last heartbeat 1m ago", ""), ("meter read 30s ago", ""), (LONG, "")],
        "as of 07:27Z · 1m ago",
    ),
    (
        [("last heartbeat 2m ago", ""), ("meter read 30s ago", ""), (LONG, "")],
        "as of 07:27Z · 1m ago",
    ),
    (
        [("last heartbeat 2m ago", "bold"), ("meter read 45s ago", ""), (LONG, "")],
        "as of 07:28Z · 10m ago",
    ),
    (
        [
            ("last heartbeat 2m ago", "bold"),
            ("meter read 45s ago", ""),
            (LONG + " and a third row now", ""),
        ],
        "<10s ago",
    ),
    ([("last heartbeat 3m ago", ""), ("meter read 1m ago", "")], "as of 07:30Z · <10s ago"),
    ([("last heartbeat 3m ago", ""), ("meter read 1m ago", "")], "as of 07:31Z · <10s ago"),
]
"""Each step: the panel's lines (text, style) and its subtitle."""


def step_content(step: int) -> Content:
    lines, _subtitle = STEPS[step]
    return Content("\n").join(Content.styled(text, style) for text, style in lines)


class QuietProbe(App[None]):
    CSS = "#panel { width: 40; height: auto; border: round white; padding: 0 1; }"

    def __init__(self) -> None:
        super().__init__()
        install()  # as the console does: a dirty region is sent alone
        self.step = 0

    def compose(self) -> ComposeResult:
        yield Static(step_content(0), id="panel")
        yield Static(Content("step 0"), id="step")

    def on_mount(self) -> None:
        set_subtitle(self.query_one("#panel"), Content(STEPS[0][1]))

    def on_key(self, event: object) -> None:
        if getattr(event, "key", "") != "n" or self.step + 1 >= len(STEPS):
            return
        self.step += 1
        panel = self.query_one("#panel", Static)
        update_static(panel, step_content(self.step))
        set_subtitle(panel, Content(STEPS[self.step][1]))
        update_static(self.query_one("#step", Static), Content(f"step {self.step}"))


if __name__ == "__main__":
    QuietProbe().run()
