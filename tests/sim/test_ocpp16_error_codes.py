"""Issue 16, item 8: every CALLERROR the stand-in sends uses an OCPP-J 1.6 code.

A real ``ocpp`` v16 charge point connects to the stand-in's OCPP-J websocket
and sends what a confused or hostile firmware would: an action 1.6 does not
have, a 1.6 action a central system does not take, a status that is not a
1.6 enum value, a payload with an extra field. Each answer must be a
CALLERROR whose code OCPP-J 1.6 (4.2.3) defines, with the meaning 1.6 gives
it. The ``call_error`` fault of the simulated firmware refuses other codes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
import websockets
from ocpp.exceptions import OCPPError
from ocpp.v16 import ChargePoint, call

from chargesim.ocpp16_errors import OCPP16_ERROR_CODES
from tests.conftest import FROZEN_NOW

from .test_ocppj import ws_url

NOW = FROZEN_NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class FooBar:
    """A CALL whose action OCPP 1.6 does not define."""

    colour: str = "green"


@dataclass
class RemoteStopTransaction:
    """A 1.6 action the central system sends, never takes."""

    transaction_id: int = 1


@dataclass
class BootNotification:
    """BootNotification with a field 1.6 does not have."""

    charge_point_model: str = "FC-1"
    charge_point_vendor: str = "FieldCo"
    colour: str = "green"


async def _error_code(cp: ChargePoint, payload: Any) -> str:
    """Send ``payload`` unvalidated; the code of the CALLERROR that must come back."""
    with pytest.raises(OCPPError) as caught:
        await cp.call(payload, suppress=False, skip_schema_validation=True)
    return caught.value.code


CASES = {
    "unknown action": (FooBar(), "NotImplemented"),
    "1.6 action the central system does not take": (RemoteStopTransaction(), "NotSupported"),
    "status not in the 1.6 enum": (
        call.StatusNotification(
            connector_id=1, error_code="NoError", status="Exploded", timestamp=NOW
        ),
        "PropertyConstraintViolation",
    ),
    "extra field": (BootNotification(), "FormationViolation"),
    "wrong type": (
        call.StatusNotification(
            connector_id="one",  # type: ignore[arg-type]
            error_code="NoError",
            status="Available",
            timestamp=NOW,
        ),
        "TypeConstraintViolation",
    ),
}


async def test_every_callerror_from_the_stand_in_is_ocpp16(sim: Any) -> None:
    async with websockets.connect(ws_url(sim, "CP-ERRORS-1"), subprotocols=["ocpp1.6"]) as ws:
        cp = ChargePoint("CP-ERRORS-1", ws, response_timeout=10)
        serving = asyncio.create_task(cp.start())
        try:
            seen = {name: await _error_code(cp, payload) for name, (payload, _) in CASES.items()}
            # The link still works after every error.
            beat = await cp.call(call.Heartbeat())
        finally:
            serving.cancel()
    assert beat.current_time
    assert seen == {name: expected for name, (_, expected) in CASES.items()}
    assert set(seen.values()) <= OCPP16_ERROR_CODES


def test_the_call_error_fault_takes_only_ocpp16_codes(sim: Any) -> None:
    with pytest.raises(RuntimeError, match="not an OCPP 1.6 error code"):
        sim.fault("call_error:CP-GOLF-07:FormatViolation")
    sim.fault("call_error:CP-GOLF-07:OccurenceConstraintViolation")
    sim.clear_fault()
