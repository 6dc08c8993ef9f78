"""Domain errors: every failure an operator can meet, with a short title.

Services raise these (never httpx/aiosqlite exceptions). Screens show
``title`` and ``message`` as plain text. Messages never contain secrets.
"""

from __future__ import annotations


class PolarisError(Exception):
    """Base of every error Polaris shows to an operator."""

    title: str = "Something went wrong"

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


class SteveUnreachable(SteveError):
    title = "SteVe is unreachable"


class SteveTimeout(SteveUnreachable):
    title = "SteVe did not answer in time"


class SteveAuthError(SteveError):
    title = "SteVe refused the credentials"


class SteveNotFound(SteveError):
    title = "Not found in SteVe"


class SteveRejected(SteveError):
    """SteVe answered 4xx/5xx with its own message (kept verbatim in ``message``)."""

    title = "SteVe refused the request"

    def __init__(self, message: str = "", *, status: int | None = None, title: str | None = None):
        super().__init__(message, title=title)
        self.status = status


class StationOffline(SteveRejected):
    title = "Charger is offline"


class TransactionNotActive(SteveRejected):
    title = "Transaction no longer active"


class MalformedResponse(SteveError):
    title = "SteVe sent an answer Polaris cannot read"


# -- Lago -------------------------------------------------------------------
class LagoError(PolarisError):
    title = "Lago error"


class LagoUnreachable(LagoError):
    title = "Lago is unreachable"


class LagoAuthError(LagoError):
    title = "Lago refused the API key"


class LagoNotFound(LagoError):
    title = "Not found in Lago"


class LagoMalformed(LagoError):
    title = "Lago sent an answer Polaris cannot read"


# -- Operations and edits -----------------------------------------------------
class OperationNotAllowed(PolarisError):
    title = "Operation not allowed"


class UnmanagedCharger(PolarisError):
    title = "Unmanaged charger"


class InvalidParams(PolarisError):
    """A param failed validation. ``field_errors`` maps field name -> message."""

    title = "Invalid parameters"

    def __init__(self, field_errors: dict[str, str], message: str = "") -> None:
        self.field_errors = dict(field_errors)
        text = message or "; ".join(f"{k}: {v}" for k, v in self.field_errors.items())
        super().__init__(text)


class PermissionDenied(PolarisError):
    title = "Not allowed for your role"


class DuplicateSubmit(PolarisError):
    title = "Already submitted"


class NotFound(PolarisError):
    title = "Not found"


class StoreError(PolarisError):
    title = "Local store error"


class ConfigError(PolarisError):
    title = "Configuration error"
