"""Issue 12: runbook 1 (force-close a stuck session), from launch to "stop
submitted", in at most 10 keys plus typing the e-mail, on the real app over
the stand-in. Every key goes through ``press``, which counts it."""

from __future__ import annotations

from typing import Any

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.models import OperationStatus
from polaris_tui.screens.charger_detail import ChargerDetailScreen

from .conftest import settle, type_keys, wait_for_dialog
from .test_charger_detail_runbook import wait_for

MAX_KEYS = 10


async def test_runbook_one_to_stop_submitted_in_ten_keys(sim_app) -> None:
    app = sim_app(stop_followup_seconds=60, interval_seconds=3600)
    counted: list[str] = []

    async def press(pilot: Any, *keys: str) -> None:
        counted.extend(keys)
        await pilot.press(*keys)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "slash")
        await pilot.press(*type_keys("grace@example.com"))  # typing the e-mail: not counted
        await press(pilot, "enter")  # the filter → the one row
        await press(pilot, "enter")  # open it
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChargerDetailScreen) and screen.charge_box_id == "CP-BRAVO-02"
        await press(pilot, "o")  # to the form, filled in with the session's stop
        assert app.focused is not None and app.focused.id == "op-submit"

        await press(pilot, "enter")  # step 3: the dry run (on by default)
        await settle(pilot)
        assert [e.status for e in screen._entries.values()] == [OperationStatus.DRY_RUN]

        await press(pilot, "shift+tab", "space", "tab")  # dry run off, back to Submit
        await press(pilot, "enter")  # step 4: the real stop asks first
        dialog = await wait_for_dialog(pilot)
        assert isinstance(dialog, ConfirmDialog)
        await press(pilot, "y")
        await wait_for(
            pilot,
            lambda: any(
                e.status == OperationStatus.SUBMITTED and e.task_id is not None
                for e in screen._entries.values()
            ),
            "the stop is submitted",
        )
        assert len(counted) <= MAX_KEYS, counted
