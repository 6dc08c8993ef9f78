"""Vanilla SteVe's manager pages: form login (``_csrf`` and a session
cookie) and the connector-status and charge-point pages, scraped by
``manager_page``. Used for live status when SteVe has no ``chargeBoxes``
extension (or to complete the plain fork shape)."""

from __future__ import annotations

import asyncio
import logging

from polaris_tui.models import (
    ChargeBox,
)
from polaris_tui.models.errors import (
    ConfigError,
    SteveAuthError,
)
from polaris_tui.models.identity import RefusedTag
from polaris_tui.services.manager_details import (
    parse_charge_point_details,
    parse_unknown_tags,
)
from polaris_tui.services.manager_merge import complete_with_status
from polaris_tui.services.manager_page import (
    is_signin_page,
    parse_charge_points,
    parse_connector_status,
    parse_csrf,
)
from polaris_tui.services.page_cut import PageCut
from polaris_tui.services.steve_transport import SteveTransport
from polaris_tui.services.steve_wire import (
    THREAD_PARSE_BYTES,
    Answer,
)
from polaris_tui.services.wire_thread import on_wire

log = logging.getLogger(__name__)


class SteveManagerPages(SteveTransport):
    """Manager-page reads over the transport (signed in on first use)."""

    def _page_configured(self) -> bool:
        return self.settings.web_password is not None

    async def _manager_get(self, path: str, what: str, *, data_head: str | None = None) -> str:
        """GET a manager page with form login (and one re-login when the session expired).

        ``data_head``: the text up to the first row of a connector-status
        page read before (its checked cut, ``page_cut``). A page that starts
        with it holds the connector table, so it is not the sign-in form
        (``is_signin_page``): the search of several MB for a password field
        is left out (~5-10 ms of the loop a poll at 10,000 chargers)."""
        if not self._page_configured():
            raise ConfigError("the manager-page status source needs steve.web_password")
        async with self._login_lock:
            for _ in range(2):
                if not self._logged_in:
                    await self._login()
                answer = await self._send("GET", path, retry=True, api=False)
                if self._is_signin(answer, data_head):
                    self._logged_in = False  # session expired: sign in again, once
                    continue
                self._raise_for(answer, what, api=False)
                return answer.text()
            raise SteveAuthError(f"SteVe keeps sending the {what.lower()} back to sign-in")

    @on_wire
    async def connector_status_page(self) -> list[ChargeBox]:
        """Vanilla SteVe's ``/manager/home/connectorStatus``: stations with
        connectors and offline marks (only stations whose connectors reported).

        Raises:
            ConfigError: no manager-page password configured.
            SteveAuthError: the login is refused.
            MalformedResponse: the page has no connector table.
        """
        cut = self._status_memo.cut
        html = await self._manager_get(
            "/manager/home/connectorStatus",
            "Connector status page",
            data_head=cut.head if isinstance(cut, PageCut) else None,
        )
        if len(html) > THREAD_PARSE_BYTES:
            return await asyncio.to_thread(
                parse_connector_status, html, now=self.clock.now(), memo=self._status_memo
            )
        return parse_connector_status(html, now=self.clock.now(), memo=self._status_memo)

    @on_wire
    async def charge_points_page(self) -> list[ChargeBox] | None:
        """Vanilla SteVe's ``/manager/chargepoints`` overview: every registered
        station with description, protocol and last heartbeat; None when the
        page has no overview table (the caller goes on without it)."""
        html = await self._manager_get("/manager/chargepoints", "Charge point overview")
        if len(html) > THREAD_PARSE_BYTES:
            boxes = await asyncio.to_thread(
                parse_charge_points, html, now=self.clock.now(), memo=self._overview_memo
            )
        else:
            boxes = parse_charge_points(html, now=self.clock.now(), memo=self._overview_memo)
        if boxes is None:
            log.warning(
                "SteVe's charge point overview has no table Polaris can read; descriptions and heartbeats are missing"
            )
        return boxes

    @on_wire
    async def charge_point_details(self, charge_box_pk: int) -> dict[str, str] | None:
        """Vanilla SteVe's ``/manager/chargepoints/details/{pk}``: the OCPP
        table's label (lower case) → value; None when the page has no such table.

        Raises:
            ConfigError: no manager-page password configured.
            SteveAuthError: the login is refused.
            SteveNotFound: SteVe has no charge point with that pk.
            SteveError: any other failure to fetch the page.
        """
        path = f"/manager/chargepoints/details/{int(charge_box_pk)}"
        return parse_charge_point_details(await self._manager_get(path, "Charge point details"))

    @on_wire
    async def unknown_tags(self) -> list[RefusedTag] | None:
        """SteVe's "Unknown Tags" (``/manager/ocppTags``): idTags it answered
        Invalid, with attempts and the last one; None when the page has no such table.

        Raises:
            ConfigError, SteveAuthError, SteveError: as ``charge_point_details``.
        """
        return parse_unknown_tags(await self._manager_get("/manager/ocppTags", "OCPP tags page"))

    async def _page_status(self) -> list[ChargeBox]:
        """Live status from the manager pages: connector status + the overview (two pages)."""
        status = await self.connector_status_page()
        overview = await self.charge_points_page()
        if overview is None:
            return status
        if len(overview) > 1000:  # a merge of 10,000 stations: not on the UI's loop
            return await asyncio.to_thread(complete_with_status, overview, status, self._merge_memo)
        return complete_with_status(overview, status, self._merge_memo)

    def _is_signin(self, answer: Answer, data_head: str | None = None) -> bool:
        if 300 <= answer.status < 400:
            return "signin" in answer.headers.get("location", "")
        if answer.status != 200:
            return False
        text = answer.text()
        if data_head is not None and text.startswith(data_head):
            return False
        return is_signin_page(text)

    async def _login(self) -> None:
        """Sign in to the manager UI: GET the form for ``_csrf`` + cookie, POST it."""
        form_page = await self._send("GET", "/manager/signin", retry=True, api=False)
        self._raise_for(form_page, "Manager sign-in page", api=False)
        data = {
            "username": self.settings.web_user,
            "password": self.settings.web_password.get_secret_value()
            if self.settings.web_password
            else "",
        }
        csrf = parse_csrf(form_page.text())
        if csrf is not None:
            data["_csrf"] = csrf
        answer = await self._send("POST", "/manager/signin", retry=False, api=False, data=data)
        location = answer.headers.get("location", "")
        refused = (300 <= answer.status < 400 and "error" in location) or (
            answer.status == 200 and is_signin_page(answer.text())
        )
        if refused or answer.status in (401, 403):
            raise SteveAuthError(
                f"SteVe refused the manager-page login of {self.clean(self.settings.web_user)!r}"
            )
        if not (300 <= answer.status < 400 or answer.status == 200):
            self._raise_for(answer, "Manager sign-in", api=False)
        self._logged_in = True
