"""Reading SteVe's operation envelope: what the station said, in plain words.

Pure functions only: ``OperationService`` records the verdict with the
operation's log row.
"""

from __future__ import annotations

from typing import Any

from polaris_tui.models import OperationEnvelope

_POSITIVE = {"accepted", "unlocked", "scheduled"}
_NEGATIVE = {
    "rejected",
    "unlockfailed",
    "notsupported",
    "notimplemented",
    "faulted",
    "occupied",
    "unavailable",
    "unknownmessageid",
    "unknownvendorid",
}


def classify_envelope(envelope: OperationEnvelope, charge_box_id: str) -> dict[str, Any]:
    """Turn SteVe's envelope into ``outcome`` + a plain ``summary`` (+ the answer).

    ``outcome`` is one of ``accepted``, ``rejected``, ``call_error``,
    ``exception``, ``no_answer``. The summary never claims more than the
    station said: "Accepted" is not "stopped".
    """
    mine = [a for a in envelope.success_responses if a.charge_box_id == charge_box_id]
    answers = mine or envelope.success_responses
    errors = [e for e in envelope.error_responses if e.charge_box_id == charge_box_id] or list(
        envelope.error_responses
    )
    failures = [x for x in envelope.exceptions if x.charge_box_id == charge_box_id] or list(
        envelope.exceptions
    )
    if answers:
        response = answers[0].response
        status = response
        if isinstance(response, dict) and "status" in response:
            status = response["status"]
        if isinstance(status, str):
            word = status.replace("_", "").lower()
            if word in _NEGATIVE:
                outcome = "rejected"
            else:
                outcome = "accepted"
            return {
                "outcome": outcome,
                "station_answer": status,
                "summary": f"Station answered {status}",
            }
        return {
            "outcome": "accepted",
            "station_answer": response,
            "summary": "Station answered (see the answer below)",
        }
    if errors:
        error = errors[0]
        detail = " ".join(p for p in (error.error_code, error.error_description) if p)
        return {
            "outcome": "call_error",
            "station_answer": None,
            "summary": f"Station returned an error: {detail or 'no details'}",
        }
    if failures:
        message = failures[0].exception_message or "no details"
        return {
            "outcome": "exception",
            "station_answer": None,
            "summary": f"SteVe could not deliver it to the station: {message}",
        }
    return {
        "outcome": "no_answer",
        "station_answer": None,
        "summary": (
            "SteVe sent it, but the station did not answer within 30 s; it may still act on it."
        ),
    }
