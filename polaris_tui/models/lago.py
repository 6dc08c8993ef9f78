"""Lago wire models (contracts/LAGO.md, lago-openapi.yml)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from polaris_tui.models.base import (
    PlainModel,
)
from polaris_tui.text_clean import (
    CleanDict,
    CleanText,
    Key,
)


class LagoCustomer(PlainModel):
    lago_id: Key
    external_id: Key
    name: CleanText | None = None
    firstname: CleanText | None = None
    lastname: CleanText | None = None
    email: CleanText | None = None
    currency: CleanText | None = None
    created_at: datetime | None = None

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        parts = [p for p in (self.firstname, self.lastname) if p]
        return " ".join(parts) or self.external_id


class LagoSubscription(PlainModel):
    lago_id: Key
    external_id: Key
    external_customer_id: Key
    name: CleanText | None = None
    plan_code: CleanText
    status: CleanText
    """active, canceled, pending or terminated."""
    started_at: datetime | None = None
    terminated_at: datetime | None = None
    canceled_at: datetime | None = None
    created_at: datetime | None = None


class LagoEvent(PlainModel):
    lago_id: Key
    transaction_id: Key
    code: CleanText
    timestamp: datetime
    external_subscription_id: Key | None = None
    properties: CleanDict = Field(default_factory=dict)
    created_at: datetime | None = None
