"""SteVe's refused tags under the cards list: the new card that "just doesn't work".

SteVe answers Invalid to an idTag it does not know and counts the attempt
("Unknown Tags" in its manager UI): the idTag, how often, the last time; no
charger. This panel shows that list, most attempts first, and marks the
ones Polaris' card metadata knows (a card issued locally but never added to
SteVe). ``enter`` on a row opens that idTag's triage. Self-loading, like the
charger page's sessions; the screen calls ``load()`` on ``r``.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import Worker

from polaris_tui.console import console_of
from polaris_tui.models.errors import PolarisError
from polaris_tui.models.identity import RefusedTags
from polaris_tui.widgets.card_table import sync_rows
from polaris_tui.widgets.safe_text import clean, plain
from polaris_tui.wording import ago, when

COLUMNS = (
    ("tag", "Refused idTag"),
    ("attempts", "Attempts"),
    ("last", "Last attempt (UTC)"),
    ("age", "Ago"),
    ("known", "In Polaris"),
)


def refused_rows(
    refused: RefusedTags, known: dict[str, str], now: datetime
) -> list[tuple[str, list[Text]]]:
    """One row per refused idTag: known = idTag → local display name."""
    rows = []
    for tag in refused.tags:
        name = known.get(tag.id_tag)
        rows.append(
            (
                tag.id_tag,
                [
                    plain(tag.id_tag, limit=40),
                    Text(str(tag.attempts), justify="right"),
                    Text(when(tag.last_attempt)),
                    Text(ago(tag.last_attempt, now)),
                    plain(name or "—", limit=30),
                ],
            )
        )
    return rows


class RefusedTagsPanel(Vertical):
    """SteVe's unknown-tag list, with ``enter`` to triage one."""

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", id="refused-table")
        yield table
        yield Static("Loading…", id="refused-note", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Refused by SteVe (unknown idTags) · enter: triage"
        table = self.query_one("#refused-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        self.load()

    @work(exclusive=True, group="refused-load", exit_on_error=False)
    async def load(self, known: dict[str, str] | None = None) -> None:
        console = console_of(self)
        services = console.services
        if services is None:
            return
        note = self.query_one("#refused-note", Static)
        try:
            refused = await services.cards.refused_tags()
        except PolarisError as exc:
            note.update(Text(f"Refused tags could not be read — {clean(str(exc), limit=200)}"))
            return
        table = self.query_one("#refused-table", DataTable)
        sync_rows(table, refused_rows(refused, known or {}, console.clock.now()))
        table.display = bool(refused.tags)
        if not refused.available:
            note.update(
                Text(f"SteVe's refused-tag list is not available: {clean(refused.note or '')}")
            )
        elif not refused.tags:
            note.update(Text("SteVe has refused no unknown idTag since it last started."))
        note.display = not refused.tags or not refused.available
        self.border_subtitle = f"{len(refused.tags)} refused · manager page"

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        console_of(self).report_worker(event)
