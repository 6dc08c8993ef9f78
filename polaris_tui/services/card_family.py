"""A card's family: its parent chain up to the root, and its children.

SteVe links a card to a parent (``parentIdTag``); the runbook says a child
inherits its parent's block or expiry even though SteVe's own Authorize
does not look at the parent. These pure functions walk those links from
plain models (no I/O, no clock) for the card page and the triage verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from polaris_tui.models import CardMeta, OcppTag, RelatedTag
from polaris_tui.services.card_links import MAX_CHAIN


def related(tag: OcppTag, now: datetime, meta: Mapping[str, CardMeta]) -> RelatedTag:
    """A tag as a relation row with its own blocked/expired state."""
    card_meta = meta.get(tag.id_tag)
    return RelatedTag(
        id_tag=tag.id_tag,
        exists=True,
        blocked=tag.blocked or tag.max_active_transaction_count == 0,
        expired=tag.is_expired(now),
        expiry_date=tag.expiry_date,
        display_name=card_meta.display_name if card_meta else None,
    )


@dataclass
class ParentChain:
    """The ancestors of a card, nearest first, and what went wrong walking them."""

    parents: list[RelatedTag] = field(default_factory=list)
    cycle_at: str | None = None
    """idTag at which the chain loops back on itself (None: no loop)."""
    truncated: bool = False

    @property
    def causes(self) -> list[RelatedTag]:
        return [p for p in self.parents if p.is_cause]

    @property
    def missing(self) -> list[RelatedTag]:
        return [p for p in self.parents if not p.exists]


def parent_chain(
    tag: OcppTag | None,
    tags_by_id: Mapping[str, OcppTag],
    now: datetime,
    meta: Mapping[str, CardMeta],
) -> ParentChain:
    """Walk ``parentIdTag`` up to the root, guarding against cycles.

    Every blocked or expired ancestor is marked ``is_cause``: children inherit
    (runbook), even though SteVe's own Authorize does not look at the parent.
    An ancestor missing from the tag list is kept with ``exists=False``.
    """
    chain = ParentChain()
    if tag is None:
        return chain
    seen = {tag.id_tag}
    parent_id = tag.parent_id_tag
    while parent_id:
        if parent_id in seen:
            chain.cycle_at = parent_id
            break
        if len(chain.parents) >= MAX_CHAIN:
            chain.truncated = True
            break
        seen.add(parent_id)
        parent = tags_by_id.get(parent_id)
        if parent is None:
            card_meta = meta.get(parent_id)
            chain.parents.append(
                RelatedTag(
                    id_tag=parent_id,
                    exists=False,
                    display_name=card_meta.display_name if card_meta else None,
                )
            )
            break
        row = related(parent, now, meta)
        row.is_cause = row.blocked or row.expired
        chain.parents.append(row)
        parent_id = parent.parent_id_tag
    return chain


def children_of(
    id_tag: str,
    tags: Iterable[OcppTag],
    now: datetime,
    meta: Mapping[str, CardMeta],
) -> list[RelatedTag]:
    """Every tag whose parent is ``id_tag``, each with its own state, sorted by idTag."""
    rows = [related(t, now, meta) for t in tags if t.parent_id_tag == id_tag and t.id_tag != id_tag]
    return sorted(rows, key=lambda r: r.id_tag)


__all__ = ["ParentChain", "children_of", "parent_chain", "related"]
