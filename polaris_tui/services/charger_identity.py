"""A charger's identity: what it told SteVe, value by value, with the source.

REST where SteVe has it: the ``chargeBoxes`` extension of SteVe forks gives
the OCPP protocol (and the ``chargeBoxPk`` that addresses the details page);
the poller already holds it, so no request is added. The manager's charge
point details page where not: vendor, model, serial numbers, firmware,
registration status and endpoint exist nowhere else in vanilla SteVe. One
page read per open charger page (the detail's bounded extra requests).

Every value says where it came from; every missing one says why (no web
password for the manager pages, no chargeBoxPk, an empty field because the
station never sent it, a page Polaris could not read). Runbook 2 step 6
("is the charger on a build that honours the pre-authorize override?") is
answered by the firmware line and by the hook line: the store's record of
the hook intercepting a tap at this charger.
"""

from __future__ import annotations

import logging

from polaris_tui.models import ChargeBox, StatusSource
from polaris_tui.models.errors import ConfigError, PolarisError, StoreError
from polaris_tui.models.identity import ChargerIdentity, IdentityField
from polaris_tui.services.clock import Clock
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store
from polaris_tui.wording import when

log = logging.getLogger(__name__)

# Panel label -> the details page's label (lower case, no colon).
PAGE_FIELDS = [
    ("Vendor", "charge point vendor"),
    ("Model", "charge point model"),
    ("Charge point serial", "charge point serial number"),
    ("Charge box serial", "charge box serial number"),
    ("Firmware", "firmware version"),
]
NOT_SENT = "empty: never sent in a BootNotification"
NO_BOOT_TIME = "SteVe keeps no boot time, only the BootNotification's fields"


class IdentityService:
    """``identity(charge_box_id)`` for the charger page.

    Args:
        steve: the SteVe client (manager pages).
        poller: the last poll (the charger's pk, protocol and status source).
        store: scan-to-login intercepts at this charger.
        clock: the injected clock.
    """

    def __init__(self, steve: SteveClient, poller: LivePoller, store: Store, clock: Clock) -> None:
        self._steve = steve
        self._poller = poller
        self._store = store
        self._clock = clock

    async def identity(self, charge_box_id: str) -> ChargerIdentity:
        """Vendor, model, serials, firmware, OCPP protocol, registration status,
        last boot, endpoint and the pre-authorize hook, each with its source.
        Never raises for a missing or odd page: the values say "unknown" and why."""
        box = self._poller.charger(charge_box_id)
        page: dict[str, str] | None = None
        note: str | None = None
        if box is None:
            note = "SteVe does not list this charger"
        elif box.charge_box_pk is None:
            note = "SteVe gave no chargeBoxPk for this charger, so its details page cannot be found"
        else:
            try:
                page = await self._steve.charge_point_details(box.charge_box_pk)
            except ConfigError:
                note = "the manager pages need a web password (steve.web_password)"
            except PolarisError as exc:
                log.warning("details page of %s: %s", charge_box_id, exc)
                note = f"{exc.title}: {exc.message}" if exc.message else exc.title
            else:
                if page is None:
                    note = "SteVe's details page has no OCPP table Polaris can read"
        fields = [self._from_page(label, key, page, note) for label, key in PAGE_FIELDS]
        protocol = self._protocol(box, page, note)
        fields += [
            protocol,
            self._from_page("Registration", "registration status", page, note),
            IdentityField(label="Last boot", why=NO_BOOT_TIME),
            self._endpoint(page, note, protocol.value),
            await self._hook(charge_box_id),
        ]
        return ChargerIdentity(charge_box_id=charge_box_id, fields=fields, page_note=note)

    @staticmethod
    def _from_page(
        label: str, key: str, page: dict[str, str] | None, note: str | None
    ) -> IdentityField:
        if page is None:
            return IdentityField(label=label, why=note)
        if key not in page:
            return IdentityField(label=label, why=f"SteVe's details page has no {key!r} row")
        value = page[key].strip()
        if not value:
            return IdentityField(label=label, why=NOT_SENT, source="manager page")
        return IdentityField(label=label, value=value, source="manager page")

    def _protocol(
        self, box: ChargeBox | None, page: dict[str, str] | None, note: str | None
    ) -> IdentityField:
        if box is not None and box.ocpp_protocol and box.source == StatusSource.CHARGEBOXES_API:
            return IdentityField(label="OCPP protocol", value=box.ocpp_protocol, source="REST")
        return self._from_page("OCPP protocol", "ocpp protocol", page, note)

    @staticmethod
    def _endpoint(
        page: dict[str, str] | None, note: str | None, protocol: str | None
    ) -> IdentityField:
        field = IdentityField(label="Endpoint", why=note)
        if page is None:
            return field
        value = page.get("endpoint address", "").strip()
        if value:
            return IdentityField(label="Endpoint", value=value, source="manager page")
        if protocol and protocol.upper().endswith("J"):
            return IdentityField(
                label="Endpoint",
                value="none",
                source="manager page",
                why="(OCPP-J: the station connects to SteVe)",
            )
        return IdentityField(label="Endpoint", why="empty on SteVe's details page")

    async def _hook(self, charge_box_id: str) -> IdentityField:
        label = "Pre-authorize hook"
        try:
            events = await self._store.scan_events(charge_box_id=charge_box_id, limit=1)
        except StoreError as exc:
            return IdentityField(label=label, why=f"the local store could not be read: {exc}")
        if not events:
            return IdentityField(
                label=label,
                why="no intercept recorded here, so Polaris cannot tell whether SteVe "
                "calls the hook for it",
            )
        last = events[0]
        return IdentityField(
            label=label,
            value=f"called: intercepted {last.id_tag} on {when(last.occurred_at)}",
            source="store",
            why="SteVe's build calls the pre-authorize hook for this charger",
        )


__all__ = ["IdentityService"]
