"""The app-wide banner every screen composes at its top.

It says, in the operator's words, what the console cannot vouch for right
now: SteVe unreachable (since when, and how old the data on screen is),
Lago unreachable (separately), demo mode, and operations a crash left
interrupted. When all is well it takes no space.

It listens to the App's ``source_signal`` and ``ready_signal`` and asks the
App for the current state, so a screen opened later shows the same banner.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from polaris_tui.console import console_of
from polaris_tui.models import ConnectionState, SourceName, SourceState
from polaris_tui.models.live import LiveUpdatesDown
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import ago, when

DEMO_TEXT = "Demo: showing the built-in stand-in, not a real SteVe"
AGE_TICK_SECONDS = 1.0
"""The banner's ages count in seconds: redraw each second, or "9s ago" stays
on screen while the data grows 20 s old."""


class SourceBanner(Static):
    """Warnings about data sources, demo mode and interrupted operations."""

    DEFAULT_CSS = """
    SourceBanner { height: auto; padding: 0 1; display: none; }
    SourceBanner.-visible { display: block; }
    """

    def on_mount(self) -> None:
        console = console_of(self)
        console.source_signal.subscribe(self, lambda _event: self.refresh_banner())
        console.ready_signal.subscribe(self, lambda _services: self.refresh_banner())
        console.operation_signal.subscribe(self, lambda _event: self.refresh_banner())
        self.refresh_banner()
        self.set_interval(AGE_TICK_SECONDS, self.refresh_banner, name="banner-ages")

    def lines(self) -> list[Content]:
        """The banner's lines for the app's current state (empty when all is well)."""
        console = console_of(self)
        now = console.clock.now()
        out: list[Content] = []
        if console.demo:
            out.append(Content.styled(DEMO_TEXT, "bold $warning"))
        open_error = console.open_error
        if open_error is not None:
            out.append(
                Content.assemble(
                    ("Polaris could not start its services: ", "bold $error"),
                    clean(open_error),
                )
            )
        services = console.services
        if services is None:
            if open_error is None:
                out.append(Content.styled("Connecting to SteVe and Lago…", "italic"))
            return out
        steve = services.source_state(SourceName.STEVE)
        lago = services.source_state(SourceName.LAGO)
        line = self._source_line("SteVe", steve, now, data_note="showing data from")
        if line is not None:
            out.append(line)
        line = self._source_line(
            "Lago", lago, now, data_note="customer names and billing links are from"
        )
        if line is not None:
            out.append(line)
        live = services.live_updates_down
        if live is not None:
            out.append(self._live_line(live, now))
        audits = services.interrupted_audits_at_start
        if audits:
            out.append(
                Content.assemble(
                    (
                        f"{len(audits)} card edit(s) left pending by a crash were marked interrupted",
                        "bold $warning",
                    ),
                    " — check them in the audit log (a)",
                )
            )
        interrupted = services.interrupted_at_start
        if interrupted:
            ids = ", ".join(f"#{entry.id}" for entry in interrupted[:5])
            more = "…" if len(interrupted) > 5 else ""
            out.append(
                Content.assemble(
                    (
                        f"{len(interrupted)} operation(s) left pending by a crash were marked "
                        f"interrupted and not resent ({ids}{more})",
                        "bold $warning",
                    ),
                    " — check them in the operation log (l)",
                )
            )
        return out

    @staticmethod
    def _source_line(
        label: str, state: SourceState, now: datetime, *, data_note: str
    ) -> Content | None:
        hung = state.error_title == f"{label} is not answering"
        if state.state == ConnectionState.UNREACHABLE or (
            hung and state.state == ConnectionState.DEGRADED
        ):
            # A hung server (connections accepted, no answer) is named as such:
            # "unreachable" would send the operator to check the network.
            headline = f"{label} is not answering" if hung else f"{label} is unreachable"
            since = f" since {when(state.since)} ({ago(state.since, now)})" if state.since else ""
            age = (
                f" — {data_note} {when(state.last_ok)} ({ago(state.last_ok, now)})"
                if state.last_ok
                else " — no data from it yet"
            )
            # "SteVe refused the credentials" says more than "unreachable": keep the title.
            detail = state.error_message or ""
            if state.error_title and state.error_title not in (
                f"{label} is unreachable",
                headline,
            ):
                detail = f"{state.error_title}: {detail}" if detail else state.error_title
            reason = f" — {clean(detail, limit=160)}" if detail else ""
            return Content.assemble((f"{headline}{since}", "bold $error"), age, reason)
        if state.state == ConnectionState.DEGRADED:
            reason = clean(
                state.error_message or state.error_title or "some requests failed", limit=160
            )
            return Content.assemble(
                (f"{label} is degraded", "bold $warning"),
                f" — {reason}; last good data {ago(state.last_ok, now)}",
            )
        if state.from_snapshot and state.state != ConnectionState.LIVE:
            return Content.assemble(
                (f"{label}: showing the saved snapshot", "$warning"),
                f" from {when(state.last_ok)} until the first answer arrives",
            )
        return None

    @staticmethod
    def _live_line(live: LiveUpdatesDown, now: datetime) -> Content:
        """Other consoles' writes are not heard: the operator must not trust
        the screen to show another operator's stop (the guard still checks the
        store before any live operation)."""
        return Content.assemble(
            (
                f"Live updates from other consoles are down since {when(live.since)} "
                f"({ago(live.since, now)})",
                "bold $error",
            ),
            " — other operators' actions may be missing here and the data may be stale; "
            "reconnecting to the store",
            f" ({clean(live.reason, limit=120)})",
        )

    def refresh_banner(self) -> None:
        """Recompute the banner from the app's state (repainted only when it changed:
        it is recomputed every second)."""
        lines = self.lines()
        content = Content("\n").join(lines) if lines else Content("")
        key = (content.plain, tuple(content.spans))
        if key == getattr(self, "_shown_key", None):
            return
        self._shown_key = key
        self.set_class(bool(lines), "-visible")
        self.update(content)
