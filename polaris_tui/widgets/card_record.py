"""The card's record: SteVe's fields and the local metadata, with edit keys.

This panel plus the edit keys is what the web console called "Open full edit
page": every field an admin can change shows the key that changes it. A
viewer sees the same fields and a line saying edits need the admin role.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.content import Content
from textual.widgets import Static

from polaris_tui.models import CardView, ConnectionState
from polaris_tui.widgets.card_format import expiry_text, max_active_text, source_age, yes_no
from polaris_tui.widgets.safe_text import clean

LABEL_WIDTH = 22


def _line(text: Text, label: str, value: str, key: str | None, *, style: str = "",
          show_keys: bool = True) -> None:
    text.append(f"{label:<{LABEL_WIDTH}}", style="dim")
    text.append(clean(value, limit=200), style=style)
    if key and show_keys:
        text.append(f"  ‹{key}›", style="dim italic")
    text.append("\n")


class CardRecord(Static):
    """SteVe record (parent, blocked, expiry, max active, in transaction, note) and local metadata."""

    BORDER_TITLE = "SteVe record"

    def show(self, view: CardView, now: datetime, *, can_edit: bool) -> None:
        """Render ``view`` for an operator who may (``can_edit``) or may not edit."""
        self.border_subtitle = Content(source_age(view.steve_state, view.data_as_of, now))
        text = Text()
        tag = view.tag
        if tag is None:
            if view.steve_state.state == ConnectionState.UNREACHABLE:
                text.append("Unknown: SteVe is unreachable and its last snapshot has no tag "
                            "with this idTag.\n", style="bold yellow")
            else:
                text.append("Not in SteVe: SteVe has no tag with this idTag — every charger "
                            "answers Invalid (a brand-new card?).\n", style="bold red")
        else:
            _line(text, "Parent idTag", tag.parent_id_tag or "(none)", "p", show_keys=can_edit)
            blocked_style = "bold red" if tag.blocked else ""
            _line(text, "Blocked", yes_no(tag.blocked), "b", style=blocked_style, show_keys=can_edit)
            expired = tag.is_expired(now)
            _line(text, "Expiry", expiry_text(tag.expiry_date, now), "e",
                  style="bold red" if expired else "", show_keys=can_edit)
            _line(text, "Max active transactions", max_active_text(tag.max_active_transaction_count),
                  None)
            in_tx = f"{yes_no(tag.in_transaction)} ({tag.active_transaction_count} active)"
            _line(text, "In transaction", in_tx, None)
            _line(text, "Note", tag.note or "—", None)
        meta = view.meta
        text.append("Local metadata\n", style="bold")
        _line(text, "Display name", (meta.display_name if meta else None) or "—", "n",
              show_keys=can_edit)
        _line(text, "Tag type", (meta.tag_type if meta else None) or "—", "t", show_keys=can_edit)
        _line(text, "Active", yes_no(meta.active if meta else True), "a", show_keys=can_edit)
        _line(text, "Lago customer", (meta.lago_customer_id if meta else None) or "(none)", "l",
              show_keys=can_edit)
        if can_edit:
            text.append("Edits are confirmed, audited, and reversible (h: audit log).", style="dim")
        else:
            text.append("Read-only: editing cards needs the admin role.", style="italic yellow")
        self.update(text)
