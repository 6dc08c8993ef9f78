"""Snapshots of the operation dialogs against the stand-in (clock at FROZEN_NOW),
each at 120x40 and 80x24: a live RemoteStart, a ChangeAvailability that takes
a connector out of service, the live RemoteStop, the follow-up Unlock, and the
last resort (database-only close, typed)."""

from __future__ import annotations

import asyncio

from polaris_tui.models import StopFollowup
from polaris_tui.widgets.operation_form import OperationForm
from tests.waiting import eventually

from .conftest import settle


async def _customers_known(pilot) -> None:
    """The dialog names the card's customer from Lago's list: on a busy machine
    the first Lago poll can time out, and the next one comes later."""
    poller = pilot.app.services.poller
    assert await eventually(lambda: bool(poller.customers())), "Lago's customers never arrived"


async def _live_stop(pilot, charge_box_id: str) -> None:
    await settle(pilot)
    await _customers_known(pilot)
    pilot.app.open_charger(charge_box_id)
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#op-dry-run").value = False
    await pilot.pause()
    screen.query_one("#op-submit").press()
    await settle(pilot)


async def _live_form(pilot, charge_box_id: str, operation: str, values: dict) -> None:
    """Open ``operation`` in the charger's form with ``values``, dry run off, submit."""
    await settle(pilot)
    await _customers_known(pilot)
    pilot.app.open_charger(charge_box_id)
    await settle(pilot)
    screen = pilot.app.screen
    await screen.query_one(OperationForm).select_operation(operation, values)
    screen.query_one("#op-dry-run").value = False
    await pilot.pause()
    screen.query_one("#op-submit").press()
    await settle(pilot)


def form_dialog(charge_box_id: str, operation: str, values: dict):
    async def run_before(pilot) -> None:
        await _live_form(pilot, charge_box_id, operation, values)

    return run_before


START_ON_DELTA = form_dialog(
    "CP-DELTA-04", "RemoteStartTransaction", {"idTag": "CARD-KIOSK", "connectorId": 2}
)
OUT_OF_SERVICE = form_dialog(
    "CP-ECHO-05", "ChangeAvailability", {"connectorId": 1, "availType": "Inoperative"}
)


def stop_dialog(charge_box_id: str):
    async def run_before(pilot) -> None:
        await _live_stop(pilot, charge_box_id)

    return run_before


async def _still_open(pilot) -> None:
    """CP-BRAVO-02: a live stop accepted, then still open past the follow-up."""
    await _live_stop(pilot, "CP-BRAVO-02")
    await pilot.press("y")
    await settle(pilot)
    screen = pilot.app.screen
    # Wait on the condition (a busy machine can take long), never proceed
    # without it: a snapshot of the wrong state would be a false failure.
    for _ in range(2400):
        if any(e.followup == StopFollowup.STILL_OPEN for e in screen._entries.values()):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the stop never reached still_open")
    await settle(pilot)
    screen.action_refresh()
    await settle(pilot)
    unlock = screen.query_one("#op-unlock")
    for _ in range(2400):
        if unlock.display:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the unlock button was never offered")
    await settle(pilot)


def unlock_dialog():
    async def run_before(pilot) -> None:
        await _still_open(pilot)
        await pilot.press("u")
        await settle(pilot)

    return run_before


def close_dialog():
    async def run_before(pilot) -> None:
        await _still_open(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("1", "0")  # half-typed: the confirm button stays disabled
        await pilot.pause()

    return run_before


class TestOperationDialogs:
    """What an operator confirms before anything is sent."""

    def test_live_stop_120x40(self, snap_compare, sim_app) -> None:
        """CP-ALPHA-01: "Send RemoteStopTransaction to SteVe? (not a dry run)";
        Charger, Connector 1, idTag CARD-HEALTHY (Ada's card), Customer Ada
        Lovelace with e-mail, Transaction; what happens; "Cannot be undone";
        "Enter answers No"; the No button focused."""
        assert snap_compare(
            sim_app(), terminal_size=(120, 40), run_before=stop_dialog("CP-ALPHA-01")
        )

    def test_live_stop_80x24(self, snap_compare, sim_app) -> None:
        """The same dialog at 80x24: every line readable, both buttons visible."""
        assert snap_compare(
            sim_app(), terminal_size=(80, 24), run_before=stop_dialog("CP-ALPHA-01")
        )

    def test_unlock_120x40(self, snap_compare, sim_app) -> None:
        """CP-BRAVO-02 after a stop still open: "Send UnlockConnector"; connector 1,
        CARD-STUCK (Grace's card), the transaction it stops first (UnlockCommand)."""
        assert snap_compare(
            sim_app(stop_followup_seconds=1), terminal_size=(120, 40), run_before=unlock_dialog()
        )

    def test_unlock_80x24(self, snap_compare, sim_app) -> None:
        """The Unlock dialog at 80x24."""
        assert snap_compare(
            sim_app(stop_followup_seconds=1), terminal_size=(80, 24), run_before=unlock_dialog()
        )

    def test_close_in_database_120x40(self, snap_compare, sim_app) -> None:
        """The last resort: red border; what was tried (RemoteStop #1 still open),
        the meter's last value, its age and how long it has been flat, the
        connector's reported status, the billing consequence (usage event
        steve_tx_…_final), and the input with "10" typed (Close disabled)."""
        assert snap_compare(
            sim_app(stop_followup_seconds=1), terminal_size=(120, 40), run_before=close_dialog()
        )

    def test_close_in_database_80x24(self, snap_compare, sim_app) -> None:
        """The last resort at 80x24: the facts scroll inside the dialog; the input
        and both buttons stay on screen."""
        assert snap_compare(
            sim_app(stop_followup_seconds=1), terminal_size=(80, 24), run_before=close_dialog()
        )

    def test_remote_start_120x40(self, snap_compare, sim_app) -> None:
        """CP-DELTA-04 connector 2, CARD-KIOSK: "Send RemoteStartTransaction";
        the card's customer Kim Park <kim@example.com>; a session starts; how to
        undo it (RemoteStop); the default answer is Yes (it starts, not stops)."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=START_ON_DELTA)

    def test_remote_start_80x24(self, snap_compare, sim_app) -> None:
        """The RemoteStart dialog at 80x24."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=START_ON_DELTA)

    def test_out_of_service_120x40(self, snap_compare, sim_app) -> None:
        """CP-ECHO-05 connector 1 Inoperative: no one can charge there; undone with
        ChangeAvailability Operative; it refuses charging, so Enter answers No."""
        assert snap_compare(sim_app(), terminal_size=(120, 40), run_before=OUT_OF_SERVICE)

    def test_out_of_service_80x24(self, snap_compare, sim_app) -> None:
        """The ChangeAvailability dialog at 80x24."""
        assert snap_compare(sim_app(), terminal_size=(80, 24), run_before=OUT_OF_SERVICE)
