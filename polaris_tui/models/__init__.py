"""Pydantic models shared by every layer of Polaris.

Models are plain data: no markup, no live connections, no I/O. Formatting for
the screen happens in widgets; fetching happens in services.

Three groups:

* wire models for SteVe and Lago answers (camelCase / snake_case aliases, extra
  fields ignored, because both systems add fields over time);
* records of Polaris' own store (operation log, audit log, card metadata,
  scan-to-login events);
* views computed by the services for the screens (charger rows, charger
  detail, card view and triage verdict).

Each group has its own module (base, steve, lago, records, views, events);
everything is re-exported here, so callers import from ``polaris_tui.models``.

The re-exports are lazy (PEP 562): importing ``polaris_tui.models.errors``
(the CLI, the settings) no longer builds every pydantic model first, which
kept the demo's stand-in from starting until ~0.3 s of CPU had passed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polaris_tui.models.base import (
        PlainModel,
        SteveModel,
    )
    from polaris_tui.models.events import (
        CardChanged,
        FleetChanged,
        InventoryCharger,
        OperationChanged,
        ScanRecorded,
        ServiceEvent,
        Snapshot,
        SourceStateChanged,
        StoreChanged,
    )
    from polaris_tui.models.lago import (
        LagoCustomer,
        LagoEvent,
        LagoSubscription,
    )
    from polaris_tui.models.records import (
        AuditEntry,
        CardMeta,
        OperationLogEntry,
        OperationStatus,
        Operator,
        Pairing,
        ScanEvent,
        StopFollowup,
    )
    from polaris_tui.models.roles import Role
    from polaris_tui.models.steve import (
        ChargeBox,
        ConnectorStatus,
        MeterValue,
        OcppTag,
        OperationEnvelope,
        StationAnswer,
        StationError,
        StationException,
        StatusSource,
        Transaction,
        TransactionDetails,
    )
    from polaris_tui.models.views import (
        CardEdit,
        CardEditKind,
        CardRow,
        CardView,
        ChargerDetail,
        ChargerRow,
        ConnectionState,
        FleetCounts,
        Liveness,
        OpenSession,
        RelatedTag,
        SessionRow,
        SourceName,
        SourceState,
        TriageAnswer,
        TriageAnswerValue,
        TriageVerdict,
    )

_HOMES: dict[str, tuple[str, ...]] = {
    "polaris_tui.models.base": ("PlainModel", "SteveModel"),
    "polaris_tui.models.events": (
        "CardChanged",
        "FleetChanged",
        "InventoryCharger",
        "OperationChanged",
        "ScanRecorded",
        "ServiceEvent",
        "Snapshot",
        "SourceStateChanged",
        "StoreChanged",
    ),
    "polaris_tui.models.lago": ("LagoCustomer", "LagoEvent", "LagoSubscription"),
    "polaris_tui.models.records": (
        "AuditEntry",
        "CardMeta",
        "OperationLogEntry",
        "OperationStatus",
        "Operator",
        "Pairing",
        "ScanEvent",
        "StopFollowup",
    ),
    "polaris_tui.models.roles": ("Role",),
    "polaris_tui.models.steve": (
        "ChargeBox",
        "ConnectorStatus",
        "MeterValue",
        "OcppTag",
        "OperationEnvelope",
        "StationAnswer",
        "StationError",
        "StationException",
        "StatusSource",
        "Transaction",
        "TransactionDetails",
    ),
    "polaris_tui.models.views": (
        "CardEdit",
        "CardEditKind",
        "CardRow",
        "CardView",
        "ChargerDetail",
        "ChargerRow",
        "ConnectionState",
        "FleetCounts",
        "Liveness",
        "OpenSession",
        "RelatedTag",
        "SessionRow",
        "SourceName",
        "SourceState",
        "TriageAnswer",
        "TriageAnswerValue",
        "TriageVerdict",
    ),
}
"""Each re-exported name, by the module that defines it."""
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import a re-exported name's module on first use (then it is a plain global)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AuditEntry",
    "CardChanged",
    "CardEdit",
    "CardEditKind",
    "CardMeta",
    "CardRow",
    "CardView",
    "ChargeBox",
    "ChargerDetail",
    "ChargerRow",
    "ConnectionState",
    "ConnectorStatus",
    "FleetChanged",
    "FleetCounts",
    "InventoryCharger",
    "LagoCustomer",
    "LagoEvent",
    "LagoSubscription",
    "Liveness",
    "MeterValue",
    "OcppTag",
    "OpenSession",
    "OperationChanged",
    "OperationEnvelope",
    "OperationLogEntry",
    "OperationStatus",
    "Operator",
    "Pairing",
    "PlainModel",
    "RelatedTag",
    "Role",
    "ScanEvent",
    "ScanRecorded",
    "ServiceEvent",
    "SessionRow",
    "Snapshot",
    "SourceName",
    "SourceState",
    "SourceStateChanged",
    "StationAnswer",
    "StationError",
    "StationException",
    "StatusSource",
    "SteveModel",
    "StopFollowup",
    "StoreChanged",
    "Transaction",
    "TransactionDetails",
    "TriageAnswer",
    "TriageAnswerValue",
    "TriageVerdict",
]
