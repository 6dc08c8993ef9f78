"""Bad day 2: SteVe goes down while an operator is working.

The App runs live against the stand-in; then SteVe's port closes. The banner
must appear within two poll cycles (counted, not timed); every screen keeps
working on the last data, with its age; a RemoteStop submitted meanwhile
ends as a ``failed`` row with the reason; and when SteVe is back nothing is
sent later (the stand-in's log of operation requests stays empty, the
session is still open).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.widgets import Static

from polaris_tui.dialogs.confirm import ConfirmDialog
from polaris_tui.dialogs.help import HelpScreen
from polaris_tui.models import ConnectionState, OperationStatus, SourceName
from polaris_tui.screens.audit_log import AuditLogScreen
from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.screens.cards import CardsScreen
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.widgets.banner import SourceBanner
from polaris_tui.widgets.card_table import CardTable
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operation_form import OperationForm
from polaris_tui.widgets.operations_table import OperationsTable
from tests.functional.conftest import screen_text, settle, type_keys, wait_for_dialog

from .test_1_start_during_outage import banner_text, wait_until


async def banner_says(pilot: Any, words: str) -> bool:
    """Whether the banner says ``words``, within a few poll cycles. On a loaded
    machine one cycle's connect to the closed port can outlast the 2 s poll
    timeout before the loop sees the refusal ("not answering"); the next
    cycle says "unreachable" again."""
    return await wait_until(pilot, lambda: words in banner_text(pilot.app), timeout=120)


def steve_state(app: Any) -> ConnectionState:
    return app.services.source_state(SourceName.STEVE).state


@pytest.mark.slow
async def test_outage_mid_session(sim: Any, app_factory: Any) -> None:
    app = app_factory()
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        await settle(pilot)
        services = app.services
        assert steve_state(app) == ConnectionState.LIVE
        assert "SteVe" not in banner_text(app)

        # SteVe goes down: the banner within two poll cycles.
        cycles_before = services.poller.cycles[SourceName.STEVE]
        sim.fault("steve_down")
        assert await wait_until(pilot, lambda: steve_state(app) == ConnectionState.UNREACHABLE)
        assert services.poller.cycles[SourceName.STEVE] <= cycles_before + 2
        await settle(pilot)
        assert await banner_says(pilot, "SteVe is unreachable since")
        assert isinstance(app.screen.query_one(SourceBanner), SourceBanner)

        # Every screen keeps working on the last data.
        await pilot.press("slash", *type_keys("ada@example.com"), "enter")
        await pilot.pause()
        assert app.screen.query_one(FleetTable).keys == ["CP-ALPHA-01"], (
            "search works on the snapshot"
        )
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, ChargerDetailScreen) and detail.charge_box_id == "CP-ALPHA-01"
        assert await banner_says(pilot, "SteVe is unreachable")
        assert detail.session is not None, "the open session is still shown (from the last data)"
        tx_id = detail.session.transaction.id

        # A RemoteStop submitted now fails with the reason, and is not queued.
        form = detail.query_one(OperationForm)
        assert form.operation == "RemoteStopTransaction" and form.values() == {
            "transactionId": tx_id
        }
        form.dry_run = False
        await pilot.click("#op-submit")
        assert isinstance(await wait_for_dialog(pilot), ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        outcome = str(detail.query_one("#op-outcome", Static).render())
        assert "failed" in outcome and "SteVe is unreachable" in outcome, outcome
        assert "stopped" not in outcome.lower()
        rows = await services.operations.recent(charge_box_id="CP-ALPHA-01")
        assert [r.status for r in rows] == [OperationStatus.FAILED]
        assert rows[0].error_title and "unreachable" in rows[0].error_title.lower()
        assert rows[0].task_id is None

        for opener, screen_type in (
            (lambda: app.open_operation_log(), OperationLogScreen),
            (lambda: app.open_cards(), CardsScreen),
            (lambda: app.open_card("CARD-STUCK"), CardDetailScreen),
            (lambda: app.open_audit_log(), AuditLogScreen),
            (lambda: app.action_help(), HelpScreen),
        ):
            opener()
            await settle(pilot)
            assert isinstance(app.screen, screen_type)
            if screen_type is not HelpScreen:
                # Drawn on the screen, not only in the banner's state.
                assert await wait_until(
                    pilot, lambda: "SteVe is unreachable" in screen_text(app), timeout=120
                ), screen_text(app)
            if screen_type is OperationLogScreen:
                assert app.screen.query_one(OperationsTable).row_count == 1
            if screen_type is CardsScreen:
                assert app.screen.query_one(CardTable).row_count > 10, "cards from the snapshot"
            if screen_type is CardDetailScreen:
                assert app.screen.view is not None and app.screen.view.tag is not None
        await pilot.press("escape")
        app.open_chargers()
        await settle(pilot)

        # SteVe is back: the banner goes, and the failed stop was never sent.
        sim.clear_fault("steve_down")
        assert await wait_until(pilot, lambda: steve_state(app) == ConnectionState.LIVE)
        cycles_back = services.poller.cycles[SourceName.STEVE]
        assert await wait_until(
            pilot, lambda: services.poller.cycles[SourceName.STEVE] >= cycles_back + 3
        )
        await settle(pilot)
        assert "SteVe" not in banner_text(app)
        assert [op["operation"] for op in sim.control("GET", "/operations")] == []
        tx = next(t for t in sim.control("GET", "/transactions") if t["id"] == tx_id)
        assert tx["stopTimestamp"] is None, "the session is still open: nothing fired later"
        rows = await services.operations.recent(charge_box_id="CP-ALPHA-01")
        assert [r.status for r in rows] == [OperationStatus.FAILED]

        errors = [n for n in app._notifications if n.severity == "error"]
        assert not [n for n in errors if "Unexpected" in (n.title or "")], [
            n.message for n in errors
        ]
        assert app.is_running
        await asyncio.sleep(0)
