"""OCPP-J 1.6 CALLERROR codes, and the ``ocpp`` package's errors turned into them.

OCPP-J 1.6 (section 4.2.3) allows exactly the codes in ``OCPP16_ERROR_CODES``.
The ``ocpp`` package (2.x) answers some cases with other words when it runs
as the 1.6 central system: an action that is not a 1.6 action gets
``NotSupported`` (1.6: ``NotImplemented``, "not known by receiver"), a 1.6
action without a handler gets ``NotImplemented`` (1.6: ``NotSupported``,
"recognized but not supported"), and a payload with a bad value or an extra
field gets ``FormatViolation``, which is OCPP 2.0's word (1.6 has
``FormationViolation`` for a malformed payload and
``PropertyConstraintViolation`` for a bad value). ``as_ocpp16`` maps them,
so what SteVe's stand-in sends is what a real 1.6 central system would.
"""

from __future__ import annotations

from typing import Any

OCPP16_ERROR_CODES: frozenset[str] = frozenset(
    {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",  # sic: the 1.6 spelling
        "TypeConstraintViolation",
        "GenericError",
    }
)
"""Every errorCode OCPP-J 1.6 defines."""


def _v16_actions() -> frozenset[str]:
    from ocpp.v16.enums import Action

    return frozenset(action.value for action in Action)


def unknown_action_error(action: str, route_map: dict[str, Any]) -> Exception | None:
    """The 1.6 error for a CALL nobody handles here, or None when a handler exists."""
    from ocpp.exceptions import NotImplementedError as OcppNotImplemented
    from ocpp.exceptions import NotSupportedError

    if action not in _v16_actions():
        return OcppNotImplemented(
            description=f"{action} is not an OCPP 1.6 action",
            details={"cause": "unknown action"},
        )
    if "_on_action" not in route_map.get(action, {}):
        return NotSupportedError(
            description=f"{action} is not supported by this central system",
            details={"cause": "no handler"},
        )
    return None


def as_ocpp16(error: Exception) -> Exception:
    """``error`` as an ``ocpp`` error whose code OCPP-J 1.6 defines."""
    from ocpp import exceptions as ocpp_exc

    if not isinstance(error, ocpp_exc.OCPPError):
        return ocpp_exc.InternalError(description="the central system failed on this call")
    if error.code in OCPP16_ERROR_CODES:
        return error
    details = error.details
    if error.code == "FormatViolation":
        cause = str(details.get("cause", "")) if isinstance(details, dict) else ""
        if cause.startswith("Additional properties"):
            return ocpp_exc.FormationViolationError(description=error.description, details=details)
        return ocpp_exc.PropertyConstraintViolationError(
            description=error.description, details=details
        )
    if error.code == "OccurrenceConstraintViolation":  # 2.0 spelling
        return ocpp_exc.OccurenceConstraintViolationError(
            description=error.description, details=details
        )
    return ocpp_exc.GenericError(description=error.description, details=details)
