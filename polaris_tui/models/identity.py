"""What a charger says it is, what SteVe refused, and where a tap happened.

``ChargerIdentity`` is the charger page's identity panel: each value with
the SteVe source it came from (REST or the manager's charge point details
page), or why it is unknown. ``RefusedTag`` is one row of SteVe's
"Unknown Tags" list. ``TapQuery`` is the operator's "when and where" of a
failing tap, used by the card triage. Plain data, formatted by the widgets.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from polaris_tui.models.base import PlainModel
from polaris_tui.text_clean import CleanText, Key

IdentitySource = Literal["REST", "manager page", "store", "none"]


class IdentityField(PlainModel):
    """One line of the identity panel."""

    label: str
    value: CleanText | None = None
    """None: unknown (``why`` says why)."""
    source: IdentitySource = "none"
    why: CleanText | None = None
    """Why the value is unknown, or a note on it (e.g. what "none" means)."""


class ChargerIdentity(PlainModel):
    """A charger's identity as SteVe holds it, value by value."""

    charge_box_id: Key
    fields: list[IdentityField] = Field(default_factory=list)
    page_note: CleanText | None = None
    """Why the manager's details page could not be read (None when it was)."""

    def field(self, label: str) -> IdentityField | None:
        """The field with this label, if the panel has it."""
        return next((f for f in self.fields if f.label == label), None)


class RefusedTag(PlainModel):
    """An idTag SteVe answered Invalid (not in its database): SteVe's
    "Unknown Tags" list keeps the attempts and the last one, no charger."""

    id_tag: Key
    attempts: int = 0
    last_attempt: datetime | None = None


class RefusedTags(PlainModel):
    """SteVe's unknown-tag list as Polaris could read it."""

    tags: list[RefusedTag] = Field(default_factory=list)
    available: bool = True
    """False: the list could not be read (``note`` says why)."""
    note: CleanText | None = None
    as_of: datetime | None = None


class TapQuery(PlainModel):
    """When and where the failing tap happened, as the operator gave it."""

    start: datetime
    end: datetime
    charge_box_id: Key | None = None
    """None: at any charger."""
    label: str = "in the last hour"
    """The window in words, e.g. "in the last 6 h", "within 5 min of 10:04Z"."""
    typed_when: str = ""
    """What the operator typed for "when" (to show it again)."""

    @property
    def place(self) -> str:
        return f"at {self.charge_box_id}" if self.charge_box_id else "at any charger"

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment <= self.end


__all__ = [
    "ChargerIdentity",
    "IdentityField",
    "IdentitySource",
    "RefusedTag",
    "RefusedTags",
    "TapQuery",
]
