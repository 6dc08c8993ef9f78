"""The only code that speaks HTTP to SteVe: ``SteveClient``.

One pooled ``httpx.AsyncClient`` (``steve_transport``) serves the REST API
(HTTP Basic, stateless), the ``chargeBoxes`` extension of SteVe forks and
vanilla SteVe's manager pages (``steve_pages``). This module holds the REST
requests: tags, transactions, operations and live status.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, TypeVar

import httpx
from pydantic.alias_generators import to_camel

from polaris_tui.models import (
    ChargeBox,
    OcppTag,
    OperationEnvelope,
    Transaction,
    TransactionDetails,
)
from polaris_tui.models.errors import (
    MalformedResponse,
    OperationNotAllowed,
    SteveError,
    SteveNotFound,
)
from polaris_tui.services.manager_merge import complete_with_status
from polaris_tui.services.steve_pages import SteveManagerPages
from polaris_tui.services.steve_transport import SteveTransport
from polaris_tui.services.steve_wire import (
    OPERATION_CONNECT_TIMEOUT,
    WireChargeBox,
    steve_time,
    to_box,
)
from polaris_tui.services.wire_thread import on_wire

log = logging.getLogger(__name__)
T = TypeVar("T")

_OPERATION_NAME = re.compile(r"^[A-Za-z]{1,64}$")


class SteveClient(SteveManagerPages):
    """Async client of one SteVe (REST API, chargeBoxes extension, manager pages).

    Args: as ``SteveTransport``.
    """

    # ------------------------------------------------------------------ tags

    @on_wire
    async def list_tags(self, **filters: Any) -> list[OcppTag]:
        """``GET /ocppTags`` with SteVe's filters (snake_case or camelCase names;
        booleans become ``TRUE``/``FALSE``; None is dropped).

        Raises:
            SteveError: any failure (see the module docstring).
        """
        params: dict[str, str] = {}
        for key, value in filters.items():
            if value is None:
                continue
            name = to_camel(key) if "_" in key else key
            params[name] = ("TRUE" if value else "FALSE") if isinstance(value, bool) else str(value)
        if not params:  # the poller's read, every cycle
            return await self._get_list(
                "/ocppTags", list[OcppTag], "Card list", self._tags_cache, _same
            )
        return await self._get("/ocppTags", list[OcppTag], "Card list", params=params)

    @on_wire
    async def get_tag(self, pk: int) -> OcppTag:
        """``GET /ocppTags/{pk}``. Raises SteveNotFound for an unknown pk."""
        return await self._get(f"/ocppTags/{int(pk)}", OcppTag, "Card")

    @on_wire
    async def find_tag(self, id_tag: str) -> OcppTag | None:
        """The tag with exactly this idTag, or None if SteVe does not know it."""
        for tag in await self.list_tags(idTag=id_tag):
            if tag.id_tag == id_tag:
                return tag
        return None

    @on_wire
    async def create_tag(self, form: dict[str, Any]) -> OcppTag:
        """``POST /ocppTags`` (sent once). Returns the new tag."""
        answer = await self._write("POST", "/ocppTags", "Create card", form)
        return self._parse(answer, OcppTag, "Create card")

    @on_wire
    async def update_tag(self, pk: int, form: dict[str, Any]) -> OcppTag:
        """``PUT /ocppTags/{pk}`` with the whole form (SteVe clears omitted fields
        and turns an omitted ``maxActiveTransactionCount`` into 1: callers pass
        every field). Returns the tag as SteVe now has it."""
        answer = await self._write("PUT", f"/ocppTags/{int(pk)}", "Update card", form)
        try:
            return self._parse(answer, OcppTag, "Update card")
        except MalformedResponse:
            # Some forks answer {} to a PUT: read the tag back instead.
            return await self.get_tag(pk)

    @on_wire
    async def delete_tag(self, pk: int) -> None:
        """``DELETE /ocppTags/{pk}`` (sent once)."""
        await self._write("DELETE", f"/ocppTags/{int(pk)}", "Delete card")

    # ------------------------------------------------------------------ transactions

    @on_wire
    async def list_transactions(
        self,
        *,
        type: str = "ALL",  # noqa: A002 - SteVe's parameter name
        period_type: str = "ALL",
        charge_box_ids: Iterable[str] = (),
        id_tags: Iterable[str] = (),
        from_: datetime | None = None,
        to: datetime | None = None,
    ) -> list[Transaction]:
        """``GET /transactions`` (newest first). Both ``from_`` and ``to`` switch
        ``periodType`` to ``FROM_TO`` as SteVe requires."""
        params: list[tuple[str, str]] = [("type", type)]
        if from_ is not None and to is not None and period_type == "ALL":
            period_type = "FROM_TO"
        params.append(("periodType", period_type))
        params += [("chargeBoxId", cb) for cb in charge_box_ids]
        params += [("ocppIdTag", tag) for tag in id_tags]
        if from_ is not None:
            params.append(("from", steve_time(from_)))
        if to is not None:
            params.append(("to", steve_time(to)))
        if params == [("type", "ACTIVE"), ("periodType", "ALL")]:  # the poller's read
            return await self._get_list(
                "/transactions",
                list[Transaction],
                "Transaction list",
                self._active_cache,
                _same,
                params=params,
            )
        return await self._get(
            "/transactions", list[Transaction], "Transaction list", params=params
        )

    @on_wire
    async def transaction_details(
        self, pk: int, *, energy_values_only: bool = True
    ) -> TransactionDetails:
        """``GET /transactions/{pk}`` with its meter values (oldest first)."""
        params = {"energyValuesOnly": "true" if energy_values_only else "false"}
        return await self._get(
            f"/transactions/{int(pk)}", TransactionDetails, "Transaction", params=params
        )

    @on_wire
    async def stop_transaction_in_db(self, pk: int) -> None:
        """``PATCH /transactions/{pk}/stop``: closes it in SteVe's database only
        (nothing goes to the station). Sent once."""
        await self._write("PATCH", f"/transactions/{int(pk)}/stop", "Close transaction in SteVe")

    # ------------------------------------------------------------------ operations

    @on_wire
    async def operation(self, name: str, body: dict[str, Any]) -> OperationEnvelope:
        """``POST /operations/{name}``: sent exactly once, waits up to
        ``operation_timeout`` (SteVe itself waits 30 s for the station).

        Raises:
            StationOffline: 400 "No stations are eligible…".
            TransactionNotActive: 400 "This transaction is not active at this station."
            SteveRejected: any other refusal, SteVe's message kept.
            SteveTimeout / SteveUnreachable / SteveAuthError / MalformedResponse.
        """
        if not _OPERATION_NAME.match(name):
            raise OperationNotAllowed(f"{name!r} is not an operation name")
        timeout = httpx.Timeout(
            self.settings.operation_timeout,
            connect=min(OPERATION_CONNECT_TIMEOUT, self.settings.operation_timeout),
        )
        answer = await self._write("POST", f"/operations/{name}", name, body, timeout=timeout)
        return self._parse(answer, OperationEnvelope, name)

    @on_wire
    async def task(self, task_id: int) -> OperationEnvelope | None:
        """The fork's ``GET /operations/tasks/{id}``; None when SteVe does not have it
        (vanilla SteVe, or the task left SteVe's memory after a restart)."""
        try:
            return await self._get(f"/operations/tasks/{int(task_id)}", OperationEnvelope, "Task")
        except SteveNotFound:
            return None

    # ------------------------------------------------------------------ live status

    async def _charge_boxes(self) -> tuple[list[ChargeBox], bool]:
        """The extension's stations, and whether any lacks connector data (plain shape)."""
        now = self.clock.now()
        made = await self._get_list(
            "/chargeBoxes",
            list[WireChargeBox],
            "Charger list",
            self._boxes_cache,
            lambda item: to_box(item, now),
            # "Today at 09:58" means another moment tomorrow: a new day converts afresh.
            epoch=now.astimezone(UTC).date(),
        )
        # On the event loop, once a poll: C-level passes over 10,000 pairs.
        return list(map(itemgetter(0), made)), any(map(itemgetter(1), made))

    @on_wire
    async def charge_boxes(self) -> list[ChargeBox]:
        """``GET /chargeBoxes`` (SteVe forks). The plain fork shape gives stations
        without connectors or ``online``; ``live_status()`` completes them.

        Raises:
            SteveNotFound: vanilla SteVe (no extension).
        """
        boxes, _ = await self._charge_boxes()
        return boxes

    @on_wire
    async def live_status(self) -> list[ChargeBox]:
        """Stations with connector status, from the configured source.

        ``chargeboxes-api``: the extension (plain fork shape completed from the
        connector-status page when a web password is configured). ``manager-page``:
        the connector-status page plus the charge point overview (descriptions,
        heartbeats). ``auto``: the extension, falling back to the pages (and
        staying there) when SteVe answers 404. Either way a fixed number of
        requests, whatever the fleet size.
        """
        source = self.settings.status_source
        if source == "manager-page" or (source == "auto" and self._extension_missing):
            return await self._page_status()
        try:
            boxes, plain = await self._charge_boxes()
        except SteveNotFound:
            if source != "auto":
                raise
            log.info("SteVe has no chargeBoxes extension; using the manager page for live status")
            self._extension_missing = True
            return await self._page_status()
        if plain and self._page_configured():
            return complete_with_status(boxes, await self.connector_status_page())
        return boxes


def _same(item: T) -> T:
    """The conversion of a list whose wire items are what callers keep."""
    return item


__all__ = ["SteveClient", "SteveError", "SteveTransport"]
