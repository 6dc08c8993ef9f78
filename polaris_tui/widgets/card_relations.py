"""Relations of a card: its parent chain up to the root and every child.

Children inherit their parent's refusal in the runbook's words, while SteVe
itself only looks at the card: so each relation shows its own blocked and
expired state, an ancestor that blocks this card is marked as the cause, and
the children of a refused card are marked as refused too.
``enter`` on a row posts ``DataTable.RowSelected``; the screen opens that card.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable

from polaris_tui.models import CardView, RelatedTag
from polaris_tui.widgets.card_format import source_age
from polaris_tui.widgets.card_table import flag, sync_rows
from polaris_tui.widgets.safe_text import plain
from polaris_tui.wording import when

COLUMNS = (
    ("relation", "Relation"),
    ("id_tag", "idTag"),
    ("name", "Display name"),
    ("blocked", "Blocked"),
    ("expired", "Expired"),
    ("expiry", "Expiry"),
    ("cause", "Effect on this card"),
)


def relation_label(index: int, total: int) -> str:
    """ "parent", "grandparent", "ancestor 3"; the last of the chain is the root."""
    names = {0: "parent", 1: "grandparent"}
    label = names.get(index, f"ancestor {index + 1}")
    return f"{label} (root)" if index == total - 1 and total > 1 else label


def _cells(relation: str, tag: RelatedTag, *, inherits_refusal: bool = False) -> list[Text]:
    if not tag.exists:
        effect = Text("not in SteVe", style="bold yellow")
    elif tag.is_cause:
        effect = Text("CAUSE: refuses this card", style="bold red")
    elif inherits_refusal:
        effect = Text("refused too: inherits it", style="yellow")
    else:
        effect = Text("—", style="dim")
    return [
        Text(relation),
        plain(tag.id_tag, "bold" if tag.is_cause else ""),
        plain(tag.display_name or ""),
        flag(tag.blocked, alarm=True),
        flag(tag.expired, alarm=True),
        Text(when(tag.expiry_date) if tag.expiry_date else "never"),
        effect,
    ]


class CardRelations(DataTable[Text]):
    """Parent chain (nearest first) then children; rows keyed ``parent:ID`` / ``child:ID``."""

    BORDER_TITLE = "Relations"

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(cursor_type="row", name=name, id=id, classes=classes, disabled=disabled)

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    def show(self, view: CardView, now: datetime) -> str | None:
        """Render the relations of ``view``; returns the line to show instead when there are none."""
        rows = []
        total = len(view.parents)
        for index, tag in enumerate(view.parents):
            rows.append((f"parent:{tag.id_tag}", _cells(relation_label(index, total), tag)))
        refused = any(p.is_cause for p in view.parents) or (
            view.tag is not None and (view.tag.blocked or view.tag.is_expired(now))
        )
        for tag in view.children:
            rows.append((f"child:{tag.id_tag}", _cells("child", tag, inherits_refusal=refused)))
        sync_rows(self, rows)
        age = source_age(view.steve_state, view.data_as_of, now)
        count = f"{total} parent(s), {len(view.children)} child(ren)"
        self.border_subtitle = Content(f"{count} · {age}")
        if rows:
            return None
        if view.tag is None:
            return f"Relations: none known — SteVe has no tag with this idTag ({age})."
        return f"Relations: no parent and no children ({age})."

    @staticmethod
    def id_tag_of(row_key: str) -> str:
        """The idTag a row key points at."""
        return row_key.split(":", 1)[1]
