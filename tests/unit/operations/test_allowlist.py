"""The allowlist and the params models: exactly the issue's operations, each
field titled and described, bad params as field errors."""

from __future__ import annotations

import pytest

from polaris_tui.models.errors import (
    InvalidParams,
)
from polaris_tui.services.operations import (
    ALLOWED_OPERATIONS,
    FORBIDDEN_OPERATIONS,
    OPERATION_PARAMS,
    validate_params,
)
from tests.unit.operations.support import (
    NOW,
)

# -- the allowlist and params models ---------------------------------------


def test_allowlist_is_exactly_the_issue_list():
    assert set(ALLOWED_OPERATIONS) == {
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "UnlockConnector",
        "ReserveNow",
        "CancelReservation",
        "TriggerMessage",
        "GetConfiguration",
        "GetCompositeSchedule",
        "GetDiagnostics",
        "GetLocalListVersion",
        "DataTransfer",
        "SetChargingProfile",
        "ChangeAvailability",
    }
    assert set(OPERATION_PARAMS) == set(ALLOWED_OPERATIONS)
    assert not set(FORBIDDEN_OPERATIONS) & set(ALLOWED_OPERATIONS)


@pytest.mark.parametrize("name", sorted(OPERATION_PARAMS))
def test_every_form_field_has_a_title_and_description(name):
    """The UI generates form fields from the schema: labels must be there."""
    model = OPERATION_PARAMS[name]
    schema = model.model_json_schema()
    assert model.__doc__ and schema.get("description")
    for field, spec in schema.get("properties", {}).items():
        assert spec.get("title"), (name, field)
        assert spec.get("description"), (name, field)
    assert "chargeBoxIdList" not in schema.get("properties", {})


def test_required_fields_are_visible_in_the_schema():
    assert OPERATION_PARAMS["RemoteStopTransaction"].model_json_schema()["required"] == [
        "transactionId"
    ]
    assert set(OPERATION_PARAMS["ReserveNow"].model_json_schema()["required"]) == {
        "connectorId",
        "expiry",
        "idTag",
    }
    assert (
        OPERATION_PARAMS["RemoteStartTransaction"].model_fields["connectorId"].is_required()
        is False
    )


@pytest.mark.parametrize(
    ("operation", "params", "field"),
    [
        ("RemoteStopTransaction", {}, "transactionId"),
        ("RemoteStopTransaction", {"transactionId": 0}, "transactionId"),
        ("RemoteStopTransaction", {"transactionId": "abc"}, "transactionId"),
        (
            "RemoteStopTransaction",
            {"transactionId": 5, "chargeBoxIdList": ["X"]},
            "chargeBoxIdList",
        ),
        ("UnlockConnector", {"connectorId": 0}, "connectorId"),
        ("RemoteStartTransaction", {"idTag": ""}, "idTag"),
        ("RemoteStartTransaction", {"idTag": "x" * 41}, "idTag"),
        ("RemoteStartTransaction", {"idTag": "bad tag[/]"}, "idTag"),
        ("RemoteStartTransaction", {"idTag": "CARD-HEALTHY", "connectorId": -1}, "connectorId"),
        (
            "ReserveNow",
            {"connectorId": 1, "idTag": "CARD-HEALTHY", "expiry": "2026-11-22T09:00:00Z"},
            "expiry",
        ),
        ("CancelReservation", {"reservationId": -1}, "reservationId"),
        ("TriggerMessage", {"triggerMessage": "Reset"}, "triggerMessage"),
        ("TriggerMessage", {"triggerMessage": "Heartbeat", "connectorId": 0}, "connectorId"),
        ("ChangeAvailability", {"availType": "Off"}, "availType"),
        ("GetCompositeSchedule", {"connectorId": 1, "durationInSeconds": 0}, "durationInSeconds"),
        ("GetDiagnostics", {"location": "ftp://x y"}, "location"),
        (
            "GetDiagnostics",
            {
                "location": "ftp://x",
                "start": "2026-11-22T09:00:00Z",
                "stop": "2026-11-22T08:00:00Z",
            },
            "stop",
        ),
        ("GetDiagnostics", {"location": "ftp://x", "start": "2026-11-23T09:00:00Z"}, "start"),
        ("DataTransfer", {"messageId": "m"}, "vendorId"),
        ("SetChargingProfile", {"connectorId": 1, "chargingProfilePk": 0}, "chargingProfilePk"),
    ],
)
def test_bad_params_are_field_errors(operation, params, field):
    with pytest.raises(InvalidParams) as info:
        validate_params(operation, params, now=NOW)
    assert field in info.value.field_errors, info.value.field_errors


def test_valid_params_become_steve_body_fields():
    body = validate_params(
        "ReserveNow",
        {"connectorId": 1, "idTag": " CARD-HEALTHY ", "expiry": "2026-11-22T11:00:00"},
        now=NOW,
    )
    assert body == {"connectorId": 1, "idTag": "CARD-HEALTHY", "expiry": "2026-11-22T11:00:00Z"}
    assert validate_params("GetLocalListVersion", None, now=NOW) == {}
    assert validate_params("ChangeAvailability", {"availType": "Inoperative"}, now=NOW) == {
        "availType": "Inoperative"
    }
