"""Runbook 1's "if something goes wrong" cases, walked in one session against the
stand-in, each confirmed as the UI does (``prepare`` then ``submit`` with its
token), and every log row checked for its final state at the end.

Cases: a stale transactionId (refused before the dialog, no row), an offline
charger (failed), a station that rejects (submitted, call_error), a stop
accepted but still open, then the database-only close (closed in SteVe's
database only, the chain reaching it), and a stop still open that the unlock
closes (closed after unlock on both rows).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.models import OperationStatus, StopFollowup
from polaris_tui.models.errors import LastResortRefused, StaleTransaction
from polaris_tui.widgets.operation_outcome import chain_of, chain_text
from tests.unit.test_operations_e2e import open_services, open_session_row, press


async def live(ops: Any, charge_box_id: str, operation: str, params: dict[str, Any]):
    """What the charger page does: the preview (the dialog), then the confirmed send."""
    preview = await ops.prepare(charge_box_id, operation, params)
    return await ops.submit(
        charge_box_id,
        operation,
        params,
        dry_run=False,
        request_id=press(),
        confirmation=preview.token,
    )


async def test_every_failure_case_of_runbook_1_ends_in_a_final_state(sim, tmp_path: Path):
    services = await open_services(sim, tmp_path, followup=0.5)
    ops = services.operations
    try:
        # 1. Stale transactionId: stopped before the dialog with SteVe's facts; no row.
        stopped = await services.steve.list_transactions(type="STOPPED")
        stale = next(t for t in stopped if t.charge_box_id == "CP-ALPHA-01")
        with pytest.raises(StaleTransaction, match=f"{stale.id} closed at .* by the station"):
            await ops.prepare("CP-ALPHA-01", "RemoteStopTransaction", {"transactionId": stale.id})
        assert await ops.recent() == []

        # 2. Offline charger: SteVe refuses; the row is failed with its reason.
        offline = await live(ops, "CP-CHARLIE-03", "UnlockConnector", {"connectorId": 1})
        assert offline.status == OperationStatus.FAILED
        assert offline.error_title == "Charger is offline"

        # 3. The station rejects (a CallError from its firmware).
        await asyncio.to_thread(sim.fault, "call_error:CP-ECHO-05")
        rejected = await live(
            ops, "CP-ECHO-05", "TriggerMessage", {"triggerMessage": "StatusNotification"}
        )
        assert rejected.status == OperationStatus.SUBMITTED
        assert rejected.result["outcome"] == "call_error"

        # 4 + 6. Accepted but still open (CP-BRAVO-02's stuck firmware), then the
        # database-only close: refused until the stop's follow-up ends.
        bravo = open_session_row(services, "grace@example.com").open_session.transaction
        stop = await live(ops, "CP-BRAVO-02", "RemoteStopTransaction", {"transactionId": bravo.id})
        assert stop.result["outcome"] == "accepted"
        assert (await asyncio.wait_for(ops.watcher(stop.id), 20)).followup == (
            StopFollowup.STILL_OPEN
        )
        readiness = await ops.close_readiness("CP-BRAVO-02", bravo.id)
        assert readiness.allowed, readiness.missing
        # the dialog names the card and customer as every confirmation does
        assert (readiness.id_tag, readiness.card_name) == ("CARD-STUCK", "Grace's car")
        assert readiness.customer == "Grace Hopper <grace@example.com>"
        with pytest.raises(LastResortRefused):  # a typo is not a confirmation
            await ops.close_in_database(
                "CP-BRAVO-02", bravo.id + 1, request_id=press(), typed=str(bravo.id + 1)
            )
        closed = await ops.close_in_database(
            "CP-BRAVO-02", bravo.id, request_id=press(), typed=str(bravo.id)
        )
        assert closed.result["outcome"] == "closed_in_database"

        # 5. Another stop still open that UnlockConnector closes (CP-ALPHA-01 made stuck).
        await asyncio.to_thread(sim.fault, "stuck_stop:CP-ALPHA-01")
        alpha = open_session_row(services, "ada@example.com").open_session.transaction
        stop2 = await live(ops, "CP-ALPHA-01", "RemoteStopTransaction", {"transactionId": alpha.id})
        assert (await asyncio.wait_for(ops.watcher(stop2.id), 20)).followup == (
            StopFollowup.STILL_OPEN
        )
        preview = await ops.prepare("CP-ALPHA-01", "UnlockConnector", {"connectorId": 1})
        assert preview.transaction_id == alpha.id and preview.default_no
        unlock = await live(ops, "CP-ALPHA-01", "UnlockConnector", {"connectorId": 1})
        assert unlock.follows == stop2.id
        await asyncio.wait_for(ops.watcher(unlock.id), 20)

        # Every row in its final state; the chains read as the log shows them.
        rows = {e.id: e for e in await ops.recent()}
        final = {
            e.id: (e.operation, e.status, (e.result or {}).get("outcome"), e.followup)
            for e in rows.values()
        }
        assert final == {
            offline.id: ("UnlockConnector", OperationStatus.FAILED, "failed", None),
            rejected.id: ("TriggerMessage", OperationStatus.SUBMITTED, "call_error", None),
            stop.id: (
                "RemoteStopTransaction",
                OperationStatus.SUBMITTED,
                "accepted",
                StopFollowup.CLOSED_IN_DATABASE,
            ),
            closed.id: (
                "DatabaseStopTransaction",
                OperationStatus.SUBMITTED,
                "closed_in_database",
                StopFollowup.CLOSED_IN_DATABASE,
            ),
            stop2.id: (
                "RemoteStopTransaction",
                OperationStatus.SUBMITTED,
                "accepted",
                StopFollowup.CLOSED_AFTER_UNLOCK,
            ),
            unlock.id: (
                "UnlockConnector",
                OperationStatus.SUBMITTED,
                "accepted",
                StopFollowup.CLOSED_AFTER_UNLOCK,
            ),
        }
        assert not any(e.followup == StopFollowup.WATCHING for e in rows.values())
        text = chain_text(chain_of(rows[stop2.id], rows))
        assert text.startswith(f"RemoteStop #{stop2.id} → Unlock #{unlock.id} → closed after")
        text = chain_text(chain_of(rows[closed.id], rows))
        assert text.startswith(
            f"RemoteStop #{stop.id} → Close in DB #{closed.id} → closed in SteVe's database only"
        )
    finally:
        await services.close()
