"""Issue 10: "neither can send a duplicate stop by accident", at the same instant.

The guard used to read the log first and write the row after: Bob's console
could find nothing, Ana's stop could then be recorded and sent, and Bob's
row would still be written and his stop sent. The check now runs inside the
write that records the row. This test makes that interleaving happen on
purpose: Ana's whole stop lands between Bob's press and Bob's write. Both
backends, real stand-in over HTTP.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from polaris_tui.demo import seed_demo_store
from polaris_tui.models import OperationStatus
from polaris_tui.models.errors import AnotherOperatorActing
from tests.unit.helpers import confirmed
from tests.unit.test_team_consoles import open_console

STOP = "RemoteStopTransaction"


async def test_a_stop_recorded_while_bob_presses_is_still_refused(
    sim: Any, tmp_path: Path, store_url: str
) -> None:
    ana = await open_console(sim, tmp_path, store_url, "ana")
    bob = await open_console(sim, tmp_path, store_url, "bob")
    try:
        await seed_demo_store(ana.store)
        await bob.poller.reload_local()
        (row,) = [r for r in bob.fleet.search("grace@example.com") if r.open_session]
        stop = {"transactionId": row.open_session.transaction.id}  # type: ignore[union-attr]
        assert await bob.operations.concurrent(row.charge_box_id, stop) is None

        # Bob has pressed; before his row is written, Ana's stop is recorded and sent.
        write_bobs_row = bob.store.insert_operation
        anas: list[Any] = []

        async def ana_gets_there_first(**row_fields: Any) -> Any:
            anas.append(
                await ana.operations.submit(
                    row.charge_box_id,
                    STOP,
                    stop,
                    dry_run=False,
                    request_id=uuid.uuid4().hex,
                    confirmation=confirmed(ana.operations, row.charge_box_id, STOP, stop),
                )
            )
            return await write_bobs_row(**row_fields)

        bob.store.insert_operation = ana_gets_there_first  # type: ignore[method-assign]
        with pytest.raises(AnotherOperatorActing, match="ana sent RemoteStopTransaction"):
            await bob.operations.submit(
                row.charge_box_id,
                STOP,
                stop,
                dry_run=False,
                request_id=uuid.uuid4().hex,
                confirmation=confirmed(bob.operations, row.charge_box_id, STOP, stop),
            )
        (sent,) = anas
        assert sent.status == OperationStatus.SUBMITTED
        live = [e for e in await ana.operations.recent() if e.operation == STOP and not e.dry_run]
        assert [(e.id, e.requested_by) for e in live] == [(sent.id, "ana")], "one stop, Ana's"
    finally:
        await bob.close()
        await ana.close()
