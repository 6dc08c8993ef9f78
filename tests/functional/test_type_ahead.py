"""``TypeAhead`` in-process: keys posted together, as the driver posts one read.

The real-terminal proofs are in ``tests/badday/test_16_3_type_ahead.py``;
these pin the two rules on a small App quickly: a key lands where the keys
before it put the focus, and a handler that stays busy delays keys by at
most the deadline, never drops or reorders them.
"""

from __future__ import annotations

import asyncio

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Input, Label

from polaris_tui.typeahead import TypeAhead


class Burst(App[None]):
    """``/`` focuses a filter (deferred, as ``Widget.focus`` is); ``a`` is a screen binding."""

    BINDINGS = [
        Binding("slash", "find", "Find"),
        Binding("a", "audit", "Audit"),
        Binding("b", "busy", "Busy"),
    ]

    def __init__(self, settle_timeout: float = 2.0) -> None:
        super().__init__()
        self.type_ahead = TypeAhead(self, settle_timeout=settle_timeout)
        self.audits = 0
        self.release_busy = asyncio.Event()
        self.labels: list[str] = []

    def compose(self) -> ComposeResult:
        yield Label("list", id="list")
        yield Input(id="filter")

    def on_mount(self) -> None:
        self.query_one("#list", Label).can_focus = True
        self.query_one("#list", Label).focus()

    async def on_event(self, event: events.Event) -> None:
        if self.type_ahead.hold(event):
            return
        await super().on_event(event)

    def action_find(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_audit(self) -> None:
        self.audits += 1

    async def action_busy(self) -> None:
        await self.release_busy.wait()  # a handler that takes its time

    def on_key(self, event: events.Key) -> None:
        self.labels.append(event.key)


def post_burst(app: App[None], text: str) -> None:
    """Post every key of ``text`` at once, as the driver does for one read."""
    for char in text:
        key = {"/": "slash", "@": "at"}.get(char, char)
        app.post_message(events.Key(key, char))


async def wait_until(condition, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_burst_after_slash_lands_in_the_filter_and_fires_no_binding() -> None:
    app = Burst()
    async with app.run_test():
        post_burst(app, "/grace@example.com")
        field = app.query_one("#filter", Input)
        await wait_until(lambda: field.value == "grace@example.com")
        assert app.audits == 0, "`a` typed into the filter must not run the screen binding"


async def test_without_type_ahead_the_same_burst_goes_astray() -> None:
    """The control: Textual alone routes the burst before the focus lands."""

    class Plain(Burst):
        async def on_event(self, event: events.Event) -> None:
            await App.on_event(self, event)

    app = Plain()
    async with app.run_test() as pilot:
        post_burst(app, "/grace@example.com")
        await pilot.pause(0.3)
        assert app.query_one("#filter", Input).value != "grace@example.com"
        assert app.audits > 0


async def test_a_busy_handler_delays_keys_but_never_drops_or_reorders_them() -> None:
    app = Burst(settle_timeout=0.3)
    async with app.run_test():
        post_burst(app, "bxyz")  # `b` keeps the App busy past the deadline
        # Past the deadline each held key goes on, still one at a time, in order.
        await wait_until(lambda: not app.type_ahead.holding)
        app.release_busy.set()
        await wait_until(lambda: app.labels == ["b", "x", "y", "z"])


async def test_keys_after_close_are_dropped() -> None:
    app = Burst()
    async with app.run_test() as pilot:
        app.type_ahead.close()
        post_burst(app, "aaa")
        await pilot.pause(0.2)
        assert app.audits == 0


async def test_settling_wakes_no_screen_below_the_top(monkeypatch) -> None:
    """Waiting for a key to land only looks at the queues: a first version
    posted to every screen, and each screen below the top one then laid
    itself out and the whole terminal was redrawn (about 50 KB per key)."""
    app = Burst()
    async with app.run_test() as pilot:
        await app.push_screen(Screen())
        await pilot.pause(0.2)
        below = list(app.screen_stack[:-1])
        posted: list[object] = []
        post = MessagePump.post_message

        def spy(self: MessagePump, message: object) -> bool:
            if any(self is screen for screen in below):
                posted.append(message)
            return post(self, message)

        monkeypatch.setattr(MessagePump, "post_message", spy)
        post_burst(app, "xyzxyz")
        await wait_until(lambda: not app.type_ahead.holding)
        await pilot.pause(0.2)
        assert posted == []
