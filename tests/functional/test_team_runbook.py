"""Issue 10, "done when": two operators walk runbook 1 on the same stuck session.

Ana's console (its services; another process or host in real life) and
Bob's console (the App, driven by keys) share one store, on both backends.
Ana stops grace@example.com's session on CP-BRAVO-02; Bob's open charger
page shows her stop without a key press; Bob then presses the same stop and
the confirmation names Ana's, so a duplicate needs his explicit second yes.
Real stand-in over HTTP, real SQLite file or PostgreSQL (tests/pg.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from textual.widgets import Static

from polaris_tui.app import make_app
from polaris_tui.demo import seed_demo_store
from polaris_tui.models import OperationStatus
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.services.clock import FixedClock
from polaris_tui.widgets.operation_form import OperationForm
from tests.unit.helpers import confirmed
from tests.unit.test_team_consoles import console_settings, open_console

from .conftest import NOW, settle, wait_for_dialog
from .test_charger_detail_runbook import find_by_email, text_of, wait_for


async def test_bob_sees_anas_stop_live_and_is_warned_before_a_second(
    sim: Any, tmp_path: Path, store_url: str
) -> None:
    ana = await open_console(sim, tmp_path, store_url, "ana")
    try:
        await seed_demo_store(ana.store)
        app = make_app(console_settings(sim, tmp_path, store_url, "bob"), clock=FixedClock(NOW))
        async with app.run_test(size=(140, 45), notifications=True) as pilot:
            assert await find_by_email(pilot, "grace@example.com") == ["CP-BRAVO-02"]
            await pilot.press("enter")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, ChargerDetailScreen) and screen.session is not None
            tx = screen.session.transaction

            stop = {"transactionId": tx.id}
            sent = await ana.operations.submit(
                "CP-BRAVO-02",
                "RemoteStopTransaction",
                stop,
                dry_run=False,
                request_id=uuid.uuid4().hex,
                confirmation=confirmed(
                    ana.operations, "CP-BRAVO-02", "RemoteStopTransaction", stop
                ),
            )
            assert sent.status == OperationStatus.SUBMITTED
            # Bob pressed nothing: his page shows Ana's stop, who sent it.
            await wait_for(pilot, lambda: sent.id in screen._entries, "ana's stop on bob's page")
            assert screen._entries[sent.id].requested_by == "ana"

            form = screen.query_one(OperationForm)
            form.dry_run = False
            await pilot.click("#op-submit")
            dialog = await wait_for_dialog(pilot)
            # Pushed by a worker: wait until it is mounted, not for a fixed time.
            await wait_for(pilot, lambda: bool(dialog.query("#confirm-yes")), "dialog mounted")
            body = text_of(dialog.query_one("#confirm-body", Static))
            assert "Another operator is on it" in body
            assert f"ana sent RemoteStopTransaction for transaction {tx.id}" in body
            assert "Send a second stop" in str(dialog.query_one("#confirm-yes").label)
            await pilot.press("n")
            await settle(pilot)
            assert "you cancelled the RemoteStopTransaction" in text_of(
                screen.query_one("#op-outcome", Static)
            )
        live_stops = [
            e
            for e in await ana.operations.recent()
            if e.operation == "RemoteStopTransaction" and not e.dry_run
        ]
        assert [e.id for e in live_stops] == [sent.id], "one stop, Ana's"
    finally:
        await ana.close()
