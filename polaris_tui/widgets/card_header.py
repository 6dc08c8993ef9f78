"""The card page's header strip: idTag, tag type, active flag, linked.

The runbook's step 2 reads these four at a glance, so they sit on one line
(two at 80 columns) above everything else. Values are untrusted: each is
appended to a ``Text`` (never parsed as markup) after ``clean()``.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from polaris_tui.models import CardView, ConnectionState
from polaris_tui.widgets.card_format import linked_text, source_age
from polaris_tui.widgets.safe_text import clean


def _pair(text: Text, label: str, value: str, style: str = "") -> None:
    if text.plain:
        text.append("   ")
    text.append(f"{label} ", style="dim")
    text.append(clean(value), style=style or "bold")


class CardHeader(Static):
    """One strip: ``idTag X  Type Y  Active yes  Linked Ada · sub-ada (active)``."""

    def show(self, view: CardView, now: datetime) -> None:
        """Render ``view``; ``now`` dates the Lago part of the strip."""
        meta = view.meta
        text = Text()
        _pair(text, "idTag", view.id_tag)
        _pair(text, "Type", (meta.tag_type if meta and meta.tag_type else "—"))
        active = meta.active if meta else True
        _pair(text, "Active", "yes" if active else "no", "" if active else "bold yellow")
        linked = linked_text(view)
        linked_ok = view.customer is not None
        _pair(text, "Linked", linked, "" if linked_ok else "bold yellow")
        lago = view.lago_state
        if lago.state != ConnectionState.UNKNOWN or lago.last_ok:
            text.append(f"   (Lago {source_age(lago, lago.last_ok, now)})", style="dim")
        self.update(text)
