"""The force-close follow-up rule, apart from the charger detail screen."""

from __future__ import annotations

from datetime import UTC, datetime

from polaris_tui.models import (
    ChargerDetail,
    ChargerRow,
    Liveness,
    OpenSession,
    OperationLogEntry,
    OperationStatus,
    StopFollowup,
    Transaction,
)
from polaris_tui.screens.stop_followup import followup_connector, followup_entry

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def stop(op_id: int, tx_id: int, followup: StopFollowup | None) -> OperationLogEntry:
    return OperationLogEntry(
        id=op_id,
        charge_box_id="CB-1",
        operation="RemoteStopTransaction",
        params={"transactionId": tx_id},
        requested_by="ops",
        status=OperationStatus.SUBMITTED,
        created_at=NOW,
        followup=followup,
    )


def detail(*sessions: tuple[int, int]) -> ChargerDetail:
    return ChargerDetail(
        row=ChargerRow(charge_box_id="CB-1", status="Charging", liveness=Liveness.ONLINE),
        sessions=[
            OpenSession(
                transaction=Transaction(
                    id=tx_id,
                    charge_box_id="CB-1",
                    connector_id=connector,
                    ocpp_id_tag="CARD-1",
                    start_timestamp=NOW,
                )
            )
            for tx_id, connector in sessions
        ],
    )


def test_the_newest_stop_still_open_is_offered_with_its_connector() -> None:
    entries = [stop(1, 10, StopFollowup.CLOSED), stop(2, 11, StopFollowup.STILL_OPEN)]
    shown = detail((10, 1), (11, 2))
    entry = followup_entry(entries, shown)
    assert entry is not None and entry.id == 2
    assert followup_connector(entry, shown) == 2


def test_nothing_is_offered_once_the_session_closed_or_while_watching() -> None:
    still_open = [stop(2, 11, StopFollowup.STILL_OPEN)]
    assert followup_entry(still_open, detail((12, 1))) is None
    assert followup_entry([stop(3, 11, StopFollowup.WATCHING)], detail((11, 1))) is None
    assert followup_entry([], None) is None
