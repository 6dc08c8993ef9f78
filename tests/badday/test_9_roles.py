"""Bad day 9: a viewer at the keyboard.

A viewer can look and triage everywhere — fleet, search, charger detail,
operation log, cards, a card's verdict, the audit log, help, the palette —
but cannot change anything: every mutating service call (an operation, even
a dry run; the database-only close; every card edit; a revert; arming or
cancelling a scan-to-login pairing) is refused by the services themselves
with ``PermissionDenied``, nothing is written to the store, and nothing
reaches SteVe. The screens' own refusals (no dialog, a notice) are in the
functional tests; here the services are called directly, past the UI.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.dialogs.help import HelpScreen
from polaris_tui.models import CardEdit, CardEditKind, Role
from polaris_tui.models.errors import PermissionDenied
from polaris_tui.screens.audit_log import AuditLogScreen
from polaris_tui.screens.card_detail import CardDetailScreen
from polaris_tui.screens.cards import CardsScreen
from polaris_tui.screens.charger_detail import ChargerDetailScreen
from polaris_tui.screens.operation_log import OperationLogScreen
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operation_form import OperationForm
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import screen_text, settle, type_keys
from tests.unit.helpers import confirmed

from .conftest import build_app, settings_for


def counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
            for table in (
                "charger_operation_log",
                "audit_log",
                "card_meta",
                "pairings",
                "scan_events",
                "charger_inventory",
            )
        }
    finally:
        conn.close()


def steve_writes(sim: Any) -> list[str]:
    """Every request that could change SteVe: operation POSTs, tag PUT/POST/DELETE, PATCH stop."""
    return [
        f"{r['method']} {r['path']}"
        for r in sim.control("GET", "/requests")
        if r["path"].startswith("/steve/api/") and r["method"] != "GET"
    ]


@pytest.mark.slow
async def test_a_viewer_looks_everywhere_and_changes_nothing(sim: Any, tmp_path: Path) -> None:
    # An admin made one card edit earlier (something for the viewer to try to revert).
    admin = await PolarisServices.open(
        settings_for(sim, tmp_path, operator="ana"), clock=FixedClock(FROZEN_NOW)
    )
    try:
        edit = await admin.cards.edit(
            "CARD-UNLINKED", CardEdit(kind=CardEditKind.RENAME, value="Visitor (front desk)")
        )
    finally:
        await admin.close()
    sim.control("POST", "/requests/clear")

    settings = settings_for(sim, tmp_path, operator="vic", role="viewer")
    app = build_app(settings)
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        await settle(pilot)
        services = app.services
        assert services.operator.role == Role.VIEWER
        before = counts(settings.store.path)

        # Looking and triaging works everywhere.
        await pilot.press("slash", *type_keys("grace@example.com"), "enter")
        await pilot.pause()
        assert app.screen.query_one(FleetTable).keys == ["CP-BRAVO-02"]
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, ChargerDetailScreen) and detail.session is not None
        form = detail.query_one(OperationForm)
        assert form.query_one("#op-submit").disabled, "the viewer sees the form but cannot submit"
        for opener, screen_type in (
            (lambda: app.open_operation_log(), OperationLogScreen),
            (lambda: app.open_cards(), CardsScreen),
            (lambda: app.open_card("FLEET-CHILD-1"), CardDetailScreen),
            (lambda: app.open_audit_log(), AuditLogScreen),
            (lambda: app.action_help(), HelpScreen),
        ):
            opener()
            await settle(pilot)
            assert isinstance(app.screen, screen_type)
            if screen_type is CardDetailScreen:
                verdict = app.screen.view.verdict
                assert verdict.valid_in_steve.answer == "no", "triage works for a viewer"
                assert "FLEET-PARENT" in screen_text(app)
            if screen_type is AuditLogScreen:
                await pilot.press("v")  # revert, from the keyboard
                await settle(pilot)
                assert any("admin role" in str(n.message) for n in app._notifications)
        await pilot.press("escape")

        # Past the UI: every mutating call is refused by the services.
        tx = detail.session.transaction
        refusals = [
            services.operations.submit(
                "CP-BRAVO-02",
                "RemoteStopTransaction",
                {"transactionId": tx.id},
                confirmation=confirmed(
                    services.operations,
                    "CP-BRAVO-02",
                    "RemoteStopTransaction",
                    {"transactionId": tx.id},
                ),
                dry_run=False,
                request_id=uuid.uuid4().hex,
            ),
            services.operations.submit(
                "CP-BRAVO-02",
                "RemoteStopTransaction",
                {"transactionId": tx.id},
                dry_run=True,
                request_id=uuid.uuid4().hex,
            ),
            services.operations.submit(
                "CP-BRAVO-02",
                "UnlockConnector",
                {"connectorId": 1},
                confirmation=confirmed(
                    services.operations, "CP-BRAVO-02", "UnlockConnector", {"connectorId": 1}
                ),
                dry_run=False,
                request_id=uuid.uuid4().hex,
            ),
            services.operations.close_in_database(
                "CP-BRAVO-02", tx.id, request_id=uuid.uuid4().hex
            ),
            services.cards.revert(edit.id),
            services.scan.arm("CP-FOXTROT-06", minutes=2),
        ]
        refusals += [
            services.cards.edit("CARD-HEALTHY", CardEdit(kind=kind, value=value))
            for kind, value in (
                (CardEditKind.BLOCK, None),
                (CardEditKind.UNBLOCK, None),
                (CardEditKind.SET_PARENT, "ACME-META"),
                (CardEditKind.SET_EXPIRY, FROZEN_NOW + timedelta(days=30)),
                (CardEditKind.RELINK, "cust-acme"),
                (CardEditKind.RENAME, "mine now"),
                (CardEditKind.SET_TYPE, "Meta"),
                (CardEditKind.SET_ACTIVE, False),
            )
        ]
        for call in refusals:
            with pytest.raises(PermissionDenied):
                await call
        pairings = await services.scan.pairings(include_inactive=True)
        for pairing in pairings:
            with pytest.raises(PermissionDenied):
                await services.scan.cancel(pairing.id)
        assert len(refusals) == 14

        assert counts(settings.store.path) == before, "nothing was written"
        assert steve_writes(sim) == [], "nothing reached SteVe"
        assert app.is_running
