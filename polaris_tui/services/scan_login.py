"""Scan-to-login: arm a pairing on a charger, and decide each pre-authorize call.

A customer logging in at a kiosk taps their card on a charger that shows a
pairing code. An admin (or the kiosk flow) *arms* a pairing on that charger
for a short window; the SteVe fork then calls Polaris' pre-authorize hook on
every Authorize, and the first card tapped there within the window is
answered ``BLOCKED`` — the charger does not start a session — and a
``scan.intercepted`` event is committed to the store so triage can show it.

Rules (contracts/STEVE.md §6):

* one tap per pairing: the first idTag is matched; a second card at the same
  charger during the window charges normally (no override);
* a retry of the matched tap (same idTag, pairing still in its window) gets
  the same ``BLOCKED`` and no second event;
* matching and the event insert are one ``BEGIN IMMEDIATE`` transaction in
  the store (``Store.claim_pairing``), because several processes (the hook,
  consoles) share the file.

Fail-open lives in the HTTP layer (``hook_server``): this service raises
``StoreError`` like every other, and the hook turns any error into "no
override".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from polaris_tui.models import Operator, Pairing, ScanEvent, ScanRecorded, ServiceEvent
from polaris_tui.models.errors import InvalidParams, NotFound, PermissionDenied
from polaris_tui.services.clock import Clock
from polaris_tui.store import Store

log = logging.getLogger(__name__)

BLOCKED = "BLOCKED"
"""The only override the hook ever answers (it downgrades Accepted → Blocked)."""

MAX_MINUTES = 60.0
"""Longest window an operator may arm: a forgotten pairing must not swallow
taps at a public charger for hours."""


class ScanLoginService:
    """Pairings and intercepts over the shared store.

    Args:
        store: the open ``Store``.
        clock: the injected clock (window checks and timestamps).
        operator: who is using this process (arming and cancelling are admin only).
        publish: the event bus; a fresh intercept is published as ``ScanRecorded``.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        operator: Operator,
        publish: Callable[[ServiceEvent], None] | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._operator = operator
        self._publish = publish

    # -- console side: arm, cancel, look ---------------------------------------

    def _require_admin(self, what: str) -> None:
        if not self._operator.can_act:
            raise PermissionDenied(f"{self._operator.name} is a viewer and cannot {what}.")

    async def arm(self, charge_box_id: str, *, minutes: float = 2.0) -> Pairing:
        """Arm a pairing on ``charge_box_id`` for ``minutes`` from now.

        Raises:
            PermissionDenied: the operator is a viewer.
            InvalidParams: empty charger id, a window outside (0, 60] minutes,
                or a pairing already armed on that charger.
            StoreError: the store cannot be written.
        """
        self._require_admin("arm a scan-to-login pairing")
        errors: dict[str, str] = {}
        if not charge_box_id or not charge_box_id.strip():
            errors["charge_box_id"] = "a ChargeBox ID is required"
        if not (0 < minutes <= MAX_MINUTES):
            errors["minutes"] = (
                f"the window must be more than 0 and at most {MAX_MINUTES:g} minutes"
            )
        if errors:
            raise InvalidParams(errors)
        armed = await self._store.pairings(charge_box_id)
        if armed:
            current = armed[0]
            raise InvalidParams(
                {
                    "charge_box_id": f"pairing #{current.id} is already armed here until "
                    f"{current.expires_at:%H:%M:%S}Z: cancel it first"
                }
            )
        now = self._clock.now()
        pairing = await self._store.insert_pairing(
            charge_box_id,
            armed_by=self._operator.name,
            armed_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        log.info(
            "scan-to-login pairing #%d armed on %s by %s",
            pairing.id,
            charge_box_id,
            self._operator.name,
        )
        return pairing

    async def cancel(self, pairing_id: int) -> Pairing:
        """Cancel a pairing. A pairing that is no longer armed (matched,
        cancelled or expired) is returned unchanged.

        Raises:
            PermissionDenied: the operator is a viewer.
            NotFound: no such pairing.
        """
        self._require_admin("cancel a scan-to-login pairing")
        pairing = await self._store.get_pairing(pairing_id)
        if pairing is None:
            raise NotFound(f"There is no scan-to-login pairing #{pairing_id}.")
        now = self._clock.now()
        if not pairing.is_armed(now):
            log.info("pairing #%d was no longer armed; nothing to cancel", pairing_id)
            return pairing
        pairing = await self._store.update_pairing(pairing_id, cancelled_at=now)
        log.info("scan-to-login pairing #%d cancelled by %s", pairing_id, self._operator.name)
        return pairing

    async def pairings(
        self, charge_box_id: str | None = None, *, include_inactive: bool = False
    ) -> list[Pairing]:
        """Pairings, newest first; by default only those armed now."""
        return await self._store.pairings(charge_box_id, include_inactive=include_inactive)

    async def intercepts(
        self,
        *,
        charge_box_id: str | None = None,
        id_tag: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[ScanEvent]:
        """``scan.intercepted`` events, newest first."""
        return await self._store.scan_events(
            charge_box_id=charge_box_id, id_tag=id_tag, since=since, limit=limit
        )

    # -- hook side: the decision ------------------------------------------------

    async def decide(
        self,
        id_tag: str,
        charge_box_id: str,
        connector_id: int | None,
        ts_ms: int | None,
        *,
        deadline: float | None = None,
    ) -> str | None:
        """The pre-authorize answer for one tap: ``"BLOCKED"`` or ``None``.

        Args:
            id_tag, charge_box_id, connector_id: from SteVe's call.
            ts_ms: SteVe's time of the call (epoch ms); logged only — windows
                are judged by Polaris' own clock.
            deadline: a ``time.monotonic()`` value after which the answer no
                longer matters (SteVe has decided without us); past it,
                nothing is claimed.

        Raises:
            StoreError: the store cannot be read or written (the hook fails open).
        """
        claim = await self._store.claim_pairing(
            charge_box_id,
            id_tag,
            connector_id=connector_id,
            at=self._clock.now(),
            deadline=deadline,
        )
        if claim is None:
            return None
        pairing, event = claim
        if event is None:
            log.info(
                "retry of intercepted tap %s at %s (pairing #%d): BLOCKED again, no new event",
                id_tag,
                charge_box_id,
                pairing.id,
            )
            return BLOCKED
        log.info(
            "scan.intercepted: %s at %s connector %s (pairing #%d, SteVe ts %s)",
            id_tag,
            charge_box_id,
            connector_id,
            pairing.id,
            ts_ms,
        )
        self._announce(event)
        return BLOCKED

    def _announce(self, event: ScanEvent) -> None:
        """Publish a fresh intercept; a failing subscriber never changes the answer."""
        if self._publish is None:
            return
        try:
            self._publish(ScanRecorded(event=event))
        except Exception:  # a subscriber's bug must not turn BLOCKED into an error
            log.exception("publishing scan event #%d failed", event.id)
