"""The card's record: SteVe's fields and the local metadata, with edit keys.

This panel plus the edit keys is what the web console called "Open full edit
page": every field an admin can change shows the key that changes it. A
viewer sees the same fields and a line saying edits need the admin role.
SteVe's record and Polaris' local metadata are two columns side by side on a
wide screen (the screen's ``-wide`` class) and stacked on a narrow one.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static

from polaris_tui.models import CardView, ConnectionState
from polaris_tui.widgets.card_format import expiry_text, max_active_text, source_age, yes_no
from polaris_tui.widgets.safe_text import clean

STEVE_LABELS = 24
LOCAL_LABELS = 15
"""Label column widths: SteVe's longest is "Max active transactions"."""


def _line(
    text: Text,
    label: str,
    value: str,
    key: str | None,
    *,
    style: str = "",
    show_keys: bool = True,
    width: int = STEVE_LABELS,
) -> None:
    if text.plain:
        text.append("\n")
    text.append(f"{label:<{width}}", style="dim")
    text.append(clean(value, limit=200), style=style)
    if key and show_keys:
        text.append(f"  ‹{key}›", style="dim italic")


def steve_text(view: CardView, now: datetime, *, can_edit: bool) -> Text:
    """SteVe's record: parent, blocked, expiry, max active, in transaction, note."""
    text = Text()
    tag = view.tag
    if tag is None:
        if view.steve_state.state == ConnectionState.UNREACHABLE:
            text.append(
                "Unknown: SteVe is unreachable and its last snapshot has no tag with this idTag.",
                style="bold yellow",
            )
        else:
            text.append(
                "Not in SteVe: SteVe has no tag with this idTag — every charger "
                "answers Invalid (a brand-new card?).",
                style="bold red",
            )
        return text
    _line(text, "Parent idTag", tag.parent_id_tag or "(none)", "p", show_keys=can_edit)
    _line(
        text,
        "Blocked",
        yes_no(tag.blocked),
        "b",
        style="bold red" if tag.blocked else "",
        show_keys=can_edit,
    )
    _line(
        text,
        "Expiry",
        expiry_text(tag.expiry_date, now),
        "e",
        style="bold red" if tag.is_expired(now) else "",
        show_keys=can_edit,
    )
    _line(text, "Max active transactions", max_active_text(tag.max_active_transaction_count), None)
    in_tx = f"{yes_no(tag.in_transaction)} ({tag.active_transaction_count} active)"
    _line(text, "In transaction", in_tx, None)
    _line(text, "Note", tag.note or "—", None)
    return text


def local_text(view: CardView, *, can_edit: bool) -> Text:
    """Polaris' own metadata of the card: name, type, active, Lago link."""
    meta = view.meta
    text = Text()
    _line(
        text,
        "Display name",
        (meta.display_name if meta else None) or "—",
        "n",
        show_keys=can_edit,
        width=LOCAL_LABELS,
    )
    _line(
        text,
        "Tag type",
        (meta.tag_type if meta else None) or "—",
        "t",
        show_keys=can_edit,
        width=LOCAL_LABELS,
    )
    _line(
        text,
        "Active",
        yes_no(meta.active if meta else True),
        "i",
        show_keys=can_edit,
        width=LOCAL_LABELS,
    )
    own = meta.lago_customer_id if meta else None
    source = view.link_from_id_tag
    if own is None and source and source != view.id_tag:
        link = f"(none: inherits from {source})"
    else:
        link = own or "(none)"
    _line(text, "Lago customer", link, "k", show_keys=can_edit, width=LOCAL_LABELS)
    if meta is None:
        text.append("\nNo local metadata yet: an edit creates it.", style="dim")
    return text


class CardRecord(Vertical):
    """SteVe record and local metadata, each field with the key that edits it."""

    BORDER_TITLE = "SteVe record · local metadata"

    DEFAULT_CSS = """
    CardRecord { height: auto; }
    CardRecord > Horizontal { height: auto; }
    CardRecord .record-column { height: auto; width: 1fr; }
    CardRecord #record-hint { height: auto; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("", id="record-steve", classes="record-column", markup=False)
            yield Static("", id="record-local", classes="record-column", markup=False)
        yield Static("", id="record-hint", markup=False)

    def show(self, view: CardView, now: datetime, *, can_edit: bool) -> None:
        """Render ``view`` for an operator who may (``can_edit``) or may not edit."""
        self.border_subtitle = Content(source_age(view.steve_state, view.data_as_of, now))
        self.query_one("#record-steve", Static).update(steve_text(view, now, can_edit=can_edit))
        self.query_one("#record-local", Static).update(local_text(view, can_edit=can_edit))
        if can_edit:
            hint = Text("Edits are confirmed, audited, and reversible (a: audit log).", style="dim")
        else:
            hint = Text("Read-only: editing cards needs the admin role.", style="italic yellow")
        self.query_one("#record-hint", Static).update(hint)

    @property
    def text(self) -> str:
        """Everything the panel shows, as plain text (for tests and logs)."""
        return "\n".join(str(s.content) for s in self.query(Static))
