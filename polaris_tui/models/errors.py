"""Domain errors: every failure an operator can meet, with a short title.

Services raise these (never httpx/aiosqlite exceptions). Screens show
``title`` and ``message`` as plain text, and decide what to offer by
``kind`` (an ``ErrorKind``), never by matching the title. Messages never
contain secrets. They sit in the models layer: screens, widgets and
services all name them.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, as code reads it (the title is for people)."""

    INTERNAL = "internal"
    STEVE = "steve"
    STEVE_UNREACHABLE = "steve_unreachable"
    STEVE_TIMEOUT = "steve_timeout"
    STEVE_NOT_ANSWERING = "steve_not_answering"
    STEVE_AUTH = "steve_auth"
    STEVE_NOT_FOUND = "steve_not_found"
    STEVE_REJECTED = "steve_rejected"
    STATION_OFFLINE = "station_offline"
    TRANSACTION_NOT_ACTIVE = "transaction_not_active"
    STEVE_MALFORMED = "steve_malformed"
    LAGO = "lago"
    LAGO_UNREACHABLE = "lago_unreachable"
    LAGO_AUTH = "lago_auth"
    LAGO_NOT_FOUND = "lago_not_found"
    LAGO_MALFORMED = "lago_malformed"
    OPERATION_NOT_ALLOWED = "operation_not_allowed"
    UNMANAGED_CHARGER = "unmanaged_charger"
    INVALID_PARAMS = "invalid_params"
    PERMISSION_DENIED = "permission_denied"
    DUPLICATE_SUBMIT = "duplicate_submit"
    ANOTHER_OPERATOR_ACTING = "another_operator_acting"
    NOT_FOUND = "not_found"
    STORE = "store"
    CONFIG = "config"
    REVERT_REFUSED = "revert_refused"
    EXPORT = "export"
    CONFIRMATION_REQUIRED = "confirmation_required"
    STALE_TRANSACTION = "stale_transaction"
    LAST_RESORT_REFUSED = "last_resort_refused"


class PolarisError(Exception):
    """Base of every error Polaris shows to an operator."""

    title: str = "Something went wrong"
    kind: ErrorKind = ErrorKind.INTERNAL

    def __init__(self, message: str = "", *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:  # what logs and notices print
        return f"{self.title}: {self.message}" if self.message else self.title


# -- SteVe ------------------------------------------------------------------
class SteveError(PolarisError):
    title = "SteVe error"
    kind = ErrorKind.STEVE


class SteveUnreachable(SteveError):
    title = "SteVe is unreachable"
    kind = ErrorKind.STEVE_UNREACHABLE


class SteveTimeout(SteveUnreachable):
    title = "SteVe did not answer in time"
    kind = ErrorKind.STEVE_TIMEOUT


class SteveNotAnswering(SteveTimeout):
    """A poll read got no answer within the poll's own short timeout: SteVe
    accepts connections (or keeps them pending) but says nothing."""

    kind = ErrorKind.STEVE_NOT_ANSWERING

    title = "SteVe is not answering"


class SteveAuthError(SteveError):
    title = "SteVe refused the credentials"
    kind = ErrorKind.STEVE_AUTH


class SteveNotFound(SteveError):
    title = "Not found in SteVe"
    kind = ErrorKind.STEVE_NOT_FOUND


class SteveRejected(SteveError):
    """SteVe answered 4xx/5xx with its own message (kept verbatim in ``message``)."""

    title = "SteVe refused the request"
    kind = ErrorKind.STEVE_REJECTED

    def __init__(self, message: str = "", *, status: int | None = None, title: str | None = None):
        super().__init__(message, title=title)
        self.status = status


class StationOffline(SteveRejected):
    title = "Charger is offline"
    kind = ErrorKind.STATION_OFFLINE


class TransactionNotActive(SteveRejected):
    title = "Transaction no longer active"
    kind = ErrorKind.TRANSACTION_NOT_ACTIVE


class MalformedResponse(SteveError):
    title = "SteVe sent an answer Polaris cannot read"
    kind = ErrorKind.STEVE_MALFORMED


# -- Lago -------------------------------------------------------------------
class LagoError(PolarisError):
    title = "Lago error"
    kind = ErrorKind.LAGO


class LagoUnreachable(LagoError):
    title = "Lago is unreachable"
    kind = ErrorKind.LAGO_UNREACHABLE


class LagoAuthError(LagoError):
    title = "Lago refused the API key"
    kind = ErrorKind.LAGO_AUTH


class LagoNotFound(LagoError):
    title = "Not found in Lago"
    kind = ErrorKind.LAGO_NOT_FOUND


class LagoMalformed(LagoError):
    title = "Lago sent an answer Polaris cannot read"
    kind = ErrorKind.LAGO_MALFORMED


# -- Operations and edits -----------------------------------------------------
class OperationNotAllowed(PolarisError):
    title = "Operation not allowed"
    kind = ErrorKind.OPERATION_NOT_ALLOWED


class UnmanagedCharger(PolarisError):
    title = "Unmanaged charger"
    kind = ErrorKind.UNMANAGED_CHARGER


class InvalidParams(PolarisError):
    """A param failed validation. ``field_errors`` maps field name -> message."""

    title = "Invalid parameters"
    kind = ErrorKind.INVALID_PARAMS

    def __init__(self, field_errors: dict[str, str], message: str = "") -> None:
        self.field_errors = dict(field_errors)
        text = message or "; ".join(f"{k}: {v}" for k, v in self.field_errors.items())
        super().__init__(text)


class PermissionDenied(PolarisError):
    title = "Not allowed for your role"
    kind = ErrorKind.PERMISSION_DENIED


class DuplicateSubmit(PolarisError):
    title = "Already submitted"
    kind = ErrorKind.DUPLICATE_SUBMIT


class AnotherOperatorActing(DuplicateSubmit):
    """Another console sent the same stop moments ago (issue 10): refused
    unless the operator confirms a second one explicitly."""

    kind = ErrorKind.ANOTHER_OPERATOR_ACTING
    title = "Another operator is on it"


class NotFound(PolarisError):
    title = "Not found"
    kind = ErrorKind.NOT_FOUND


class StoreError(PolarisError):
    title = "Local store error"
    kind = ErrorKind.STORE


class ConfigError(PolarisError):
    title = "Configuration error"
    kind = ErrorKind.CONFIG


class RevertRefused(PolarisError):
    """A revert that cannot restore the earlier state exactly, or was already done."""

    title = "Cannot revert"
    kind = ErrorKind.REVERT_REFUSED


class ExportError(PolarisError):
    """A ``ctrl+s`` export could not be written (folder or disk)."""

    title = "Export failed"
    kind = ErrorKind.EXPORT


class ConfirmationRequired(PolarisError):
    """A live operation without the operator's confirmation of exactly these params."""

    title = "Not confirmed"
    kind = ErrorKind.CONFIRMATION_REQUIRED


class StaleTransaction(PolarisError):
    """A RemoteStop for a transaction that is not this charger's open session;
    the message says what SteVe knows about it. Nothing is written or sent."""

    title = "Not the open session"
    kind = ErrorKind.STALE_TRANSACTION


class LastResortRefused(PolarisError):
    """The database-only close asked for before its guard is met (the message
    says which condition is missing). Nothing is written or closed."""

    title = "Close in database not available"
    kind = ErrorKind.LAST_RESORT_REFUSED


def error_classes() -> dict[str, type[PolarisError]]:
    """Every error class by name (to read the kind of a row stored by name)."""
    found: dict[str, type[PolarisError]] = {}
    pending: list[type[PolarisError]] = [PolarisError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found
