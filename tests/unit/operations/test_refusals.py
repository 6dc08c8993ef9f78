"""The order of refusals (allowlist, unmanaged, role, params), with nothing
written and nothing sent."""

from __future__ import annotations

import pytest

from polaris_tui.models import (
    InventoryCharger,
)
from polaris_tui.models.errors import (
    InvalidParams,
    OperationNotAllowed,
    PermissionDenied,
    UnmanagedCharger,
)
from polaris_tui.services.operations import (
    FORBIDDEN_OPERATIONS,
)
from tests.unit.helpers import confirmed
from tests.unit.operations.support import (
    CB,
    VIEWER,
    make_service,
    stop,
)

# -- refusals: order, and nothing written ----------------------------------


@pytest.mark.parametrize("name", [*FORBIDDEN_OPERATIONS, "FormatDisk"])
async def test_operations_outside_the_allowlist_are_refused(name, service, steve, store):
    with pytest.raises(OperationNotAllowed, match="not allowed"):
        await service.submit(CB, name, {}, dry_run=False, request_id="p")
    assert steve.sent() == [] and await store.recent_operations() == []


async def test_forbidden_names_say_why(service):
    with pytest.raises(OperationNotAllowed) as info:
        await service.submit(CB, "Reset", {"type": "Hard"}, dry_run=True, request_id="p")
    assert "SteVe admin UI" in info.value.message


async def test_the_allowlist_is_checked_first(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, operator=VIEWER, managed=False)
    with pytest.raises(OperationNotAllowed):
        await svc.submit(
            CB,
            "Reset",
            {},
            confirmation=confirmed(svc, CB, "Reset", {}),
            dry_run=False,
            request_id="p",
        )
    with pytest.raises(UnmanagedCharger):  # unmanaged before role
        await stop(svc)
    assert await store.recent_operations() == []


async def test_unmanaged_charger_from_the_fleet_is_refused(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, managed=False)
    with pytest.raises(UnmanagedCharger, match="doesn't speak OCPP"):
        await stop(svc, dry_run=True)
    assert steve.sent() == [] and await store.recent_operations() == []


async def test_unmanaged_charger_from_the_inventory_is_refused(service, steve, store):
    await store.add_inventory(InventoryCharger(charge_box_id="LEGACY-GARAGE-99", managed=False))
    with pytest.raises(UnmanagedCharger):
        await service.submit(
            "LEGACY-GARAGE-99",
            "UnlockConnector",
            {"connectorId": 1},
            confirmation=confirmed(
                service, "LEGACY-GARAGE-99", "UnlockConnector", {"connectorId": 1}
            ),
            dry_run=False,
            request_id="p",
        )
    assert steve.sent() == [] and await store.recent_operations() == []


@pytest.mark.parametrize("dry_run", [True, False])
async def test_viewers_cannot_submit_anything(dry_run, steve, store, clock, events):
    svc = make_service(steve, store, clock, events, operator=VIEWER)
    with pytest.raises(PermissionDenied, match="viewer"):
        await stop(svc, dry_run=dry_run)
    with pytest.raises(PermissionDenied):  # role before params
        await svc.submit(
            CB, "RemoteStopTransaction", {"transactionId": -5}, dry_run=dry_run, request_id="q"
        )
    assert steve.sent() == [] and await store.recent_operations() == []


async def test_bad_params_write_nothing_and_send_nothing(service, steve, store, events):
    with pytest.raises(InvalidParams) as info:
        await service.submit(
            CB,
            "RemoteStopTransaction",
            {"transactionId": 0},
            confirmation=confirmed(service, CB, "RemoteStopTransaction", {"transactionId": 0}),
            dry_run=False,
            request_id="p",
        )
    assert "transactionId" in info.value.field_errors
    assert steve.sent() == [] and await store.recent_operations() == [] and events == []


async def test_an_empty_request_id_is_refused(service, store):
    with pytest.raises(InvalidParams):
        await stop(service, request_id="  ")
    assert await store.recent_operations() == []
