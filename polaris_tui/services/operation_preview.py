"""The confirmation of a live operation: its facts, its words, its token.

``OperationService.prepare`` builds an ``OperationPreview`` here. A
RemoteStop whose transaction is not the charger's open session is refused
with what SteVe knows about it (``StaleTransaction``) before any dialog.
The token is an HMAC over (charger, operation, validated body) with a key
that lives only in this process: ``submit`` recomputes it, so a live send
needs a preview of exactly these params.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from polaris_tui.models import Transaction
from polaris_tui.models.confirmation import stops_charging
from polaris_tui.models.errors import StaleTransaction, SteveNotFound
from polaris_tui.services.fleet_rules import FleetData, Lookups

Sentence = Callable[[dict[str, Any], int | None, int | None], str]


def _connector_words(connector: int | None) -> str:
    if connector in (None, 0):
        return "the whole station"
    return f"connector {connector}"


EFFECTS: dict[str, tuple[Sentence, Sentence]] = {
    "RemoteStopTransaction": (
        lambda p, c, t: (
            f"The station is asked to end transaction {t} on {_connector_words(c)}. "
            "Accepted only means it will try: the session closes when it sends StopTransaction."
        ),
        lambda p, c, t: (
            "Cannot be undone: a stopped session stays stopped. The way back is a "
            "RemoteStartTransaction with the same idTag and connector (a new transaction; "
            "reconcile billing for the one cut short)."
        ),
    ),
    "RemoteStartTransaction": (
        lambda p, c, t: (
            f"The station is asked to start a session for idTag {p.get('idTag')} on "
            f"{_connector_words(c) if c else 'a connector of its choice'}."
        ),
        lambda p, c, t: "Can be undone: stop the new transaction with RemoteStopTransaction.",
    ),
    "UnlockConnector": (
        lambda p, c, t: (
            f"The station releases the cable on {_connector_words(c)}."
            + (
                f" Transaction {t} running there is stopped first (reason UnlockCommand)."
                if t
                else ""
            )
        ),
        lambda p, c, t: "Cannot be undone: the cable is released and a session there ends.",
    ),
    "ReserveNow": (
        lambda p, c, t: (
            f"{_connector_words(c).capitalize()} is reserved for idTag {p.get('idTag')} until "
            f"{p.get('expiry')}: other cards cannot charge there meanwhile."
        ),
        lambda p, c, t: "Can be undone with CancelReservation.",
    ),
    "CancelReservation": (
        lambda p, c, t: (
            f"Reservation {p.get('reservationId')} is cancelled: the connector is free for any "
            "card."
        ),
        lambda p, c, t: "Not reversible as such: make a new reservation with ReserveNow.",
    ),
    "TriggerMessage": (
        lambda p, c, t: f"The station is asked to send a {p.get('triggerMessage')} now.",
        lambda p, c, t: "Nothing to undo: it only asks for a message.",
    ),
    "GetConfiguration": (
        lambda p, c, t: "The station's configuration keys are read; nothing changes.",
        lambda p, c, t: "Nothing to undo: read only.",
    ),
    "GetCompositeSchedule": (
        lambda p, c, t: "The station's charging schedule is read; nothing changes.",
        lambda p, c, t: "Nothing to undo: read only.",
    ),
    "GetDiagnostics": (
        lambda p, c, t: f"The station uploads a diagnostics file to {p.get('location')}.",
        lambda p, c, t: "Cannot be recalled once the station uploads it.",
    ),
    "GetLocalListVersion": (
        lambda p, c, t: "The station's local list version is read; nothing changes.",
        lambda p, c, t: "Nothing to undo: read only.",
    ),
    "DataTransfer": (
        lambda p, c, t: (
            f"A vendor-specific message (vendor {p.get('vendorId')}) is sent; what it does "
            "depends on the firmware."
        ),
        lambda p, c, t: "Unknown: it depends on the vendor's firmware.",
    ),
    "SetChargingProfile": (
        lambda p, c, t: (
            f"Charging profile {p.get('chargingProfilePk')} is installed on "
            f"{_connector_words(c)}: it can limit or stop charging."
        ),
        lambda p, c, t: (
            "Removing it needs the SteVe admin UI (ClearChargingProfile is blocked here)."
        ),
    ),
    "ChangeAvailability": (
        lambda p, c, t: (
            f"{_connector_words(c).capitalize()} is taken out of service: no one can charge "
            "there until it is made Operative."
            if p.get("availType") == "Inoperative"
            else f"{_connector_words(c).capitalize()} is put back in service."
        ),
        lambda p, c, t: (
            "Can be undone with ChangeAvailability "
            f"{'Operative' if p.get('availType') == 'Inoperative' else 'Inoperative'}."
        ),
    ),
}
"""(what will happen, whether it can be undone) for each allowed operation."""


def effect_of(
    operation: str, params: dict[str, Any], connector: int | None, transaction: int | None
) -> tuple[str, str, bool]:
    """(what will happen, can it be undone, default answer No?) in plain words."""
    what, undo = EFFECTS.get(
        operation,
        (lambda p, c, t: f"{operation} is sent to the station.", lambda p, c, t: "Unknown."),
    )
    return (
        what(params, connector, transaction),
        undo(params, connector, transaction),
        stops_charging(operation, params),
    )


class Signer:
    """Makes and checks confirmation tokens with a key held only in memory."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def token(self, charge_box_id: str, operation: str, body: dict[str, Any]) -> str:
        text = json.dumps([charge_box_id, operation, body], sort_keys=True, default=str)
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def check(
        self, token: str | None, charge_box_id: str, operation: str, body: dict[str, Any]
    ) -> bool:
        if not isinstance(token, str) or not token:
            return False
        return hmac.compare_digest(token, self.token(charge_box_id, operation, body))


def stale_message(charge_box_id: str, transaction_id: int, tx: Transaction | None) -> str | None:
    """Why ``transaction_id`` is not an open session of ``charge_box_id`` (None: it is)."""
    if tx is None:
        return (
            f"SteVe has no transaction {transaction_id}: it is not the open session of "
            f"{charge_box_id}. Nothing was sent."
        )
    if tx.charge_box_id != charge_box_id:
        return (
            f"Transaction {transaction_id} belongs to {tx.charge_box_id}, not {charge_box_id}. "
            "Nothing was sent."
        )
    if not tx.active:
        by = {"station": "by the station", "manual": "in SteVe's database only"}.get(
            tx.stop_event_actor or "", f"by {tx.stop_event_actor or 'an unknown actor'}"
        )
        at = tx.stop_timestamp
        return (
            f"Transaction {transaction_id} closed at {at:%H:%M} UTC ({at:%Y-%m-%d}) {by}: "
            "it is not the open session any more. Refresh the charger page. Nothing was sent."
            if at is not None
            else f"Transaction {transaction_id} is closed. Nothing was sent."
        )
    return None


async def check_open_session(steve: Any, charge_box_id: str, transaction_id: int) -> Transaction:
    """The transaction, if it is an open session of this charger.

    Raises:
        StaleTransaction: unknown, on another charger, or closed (with SteVe's facts).
        PolarisError: SteVe could not be asked.
    """
    try:
        tx: Transaction | None = (await steve.transaction_details(transaction_id)).transaction
    except SteveNotFound:
        tx = None
    problem = stale_message(charge_box_id, transaction_id, tx)
    if problem is not None:
        raise StaleTransaction(problem)
    assert tx is not None  # noqa: S101 - stale_message returned None
    return tx


__all__ = [
    "EFFECTS",
    "Signer",
    "check_open_session",
    "effect_of",
    "stale_message",
]


def card_facts(poller: Any, id_tag: str | None) -> tuple[str | None, str | None]:
    """(card display name, customer "name <email>") for an idTag, when the
    poller knows them (no poller: neither)."""
    if id_tag is None or poller is None:
        return None, None
    lookups = Lookups.of(
        FleetData(tags=poller.tags(), customers=poller.customers(), card_meta=poller.card_meta())
    )
    meta = lookups.card_meta.get(id_tag)
    customer = lookups.customer(id_tag)
    who = None
    if customer is not None:
        who = customer.display_name + (f" <{customer.email}>" if customer.email else "")
    return (meta.display_name if meta else None), who
