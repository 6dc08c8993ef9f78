"""Card links: which Lago customer a card bills to.

The one rule, used by the fleet (rows, search) and the card triage alike:
a card bills to its own Lago customer (its ``card_meta`` link), else to its
nearest ancestor's along the SteVe parent chain. Chains longer than
``MAX_CHAIN`` are cut and a cycle ends the walk (SteVe forbids neither).

Pure functions only: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from polaris_tui.models import CardMeta, OcppTag

MAX_CHAIN = 64
"""Parent chains longer than this are cut (SteVe does not forbid cycles)."""


@dataclass(frozen=True)
class LinkResolution:
    """Which Lago customer a card bills to, and where that link was found."""

    id_tag: str
    customer_id: str | None
    from_id_tag: str | None
    """The card whose metadata holds the link (this card or an ancestor)."""
    active: bool = True
    """The card's own local mapping flag (a card without metadata counts as active)."""

    @property
    def inherited(self) -> bool:
        return self.customer_id is not None and self.from_id_tag not in (None, self.id_tag)


def resolve_link(
    id_tag: str,
    tag: OcppTag | None,
    tags_by_id: Mapping[str, OcppTag],
    meta: Mapping[str, CardMeta],
) -> LinkResolution:
    """The card's own link, else the nearest ancestor's (cycle-safe).

    Args:
        id_tag: the card asked about.
        tag: its SteVe record (None: SteVe does not know it; no parent then).
        tags_by_id: every SteVe tag by idTag (to walk the parent chain).
        meta: local card metadata by idTag (where links live).
    """
    own = meta.get(id_tag)
    active = own.active if own else True
    if own and own.lago_customer_id:
        return LinkResolution(id_tag, own.lago_customer_id, id_tag, active)
    seen = {id_tag}
    parent_id = tag.parent_id_tag if tag else None
    while parent_id and parent_id not in seen and len(seen) <= MAX_CHAIN:
        seen.add(parent_id)
        parent_meta = meta.get(parent_id)
        if parent_meta and parent_meta.lago_customer_id:
            return LinkResolution(id_tag, parent_meta.lago_customer_id, parent_id, active)
        parent = tags_by_id.get(parent_id)
        parent_id = parent.parent_id_tag if parent else None
    return LinkResolution(id_tag, None, None, active)


def customer_id_of(
    id_tag: str, meta: Mapping[str, CardMeta], tags_by_id: Mapping[str, OcppTag]
) -> str | None:
    """The Lago customer's external id a card bills to (see ``resolve_link``), or None."""
    return resolve_link(id_tag, tags_by_id.get(id_tag), tags_by_id, meta).customer_id


__all__ = ["MAX_CHAIN", "LinkResolution", "customer_id_of", "resolve_link"]
