"""What the scripting commands print: flat JSON records and plain text tables.

JSON is ASCII-escaped, so no byte of a charger's description can reach a
terminal as a control sequence; the text tables pass every value through
``clean()`` for the same reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from polaris_tui.models import (
    CardView,
    ChargerRow,
    FleetCounts,
    OperationLogEntry,
    SourceState,
    TriageAnswer,
)
from polaris_tui.widgets.safe_text import clean


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with ``Z`` (None stays None)."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=True, indent=2, sort_keys=False)


def source_record(state: SourceState) -> dict[str, Any]:
    return {
        "state": state.state.value,
        "last_ok": iso(state.last_ok),
        "error": state.error_message,
    }


def charger_record(row: ChargerRow) -> dict[str, Any]:
    """One fleet row, flat (the columns of the fleet screen)."""
    session = row.open_session
    tx = session.transaction if session else None
    return {
        "charge_box_id": row.charge_box_id,
        "description": row.description,
        "status": row.status,
        "liveness": row.liveness.value,
        "last_heartbeat": iso(row.last_heartbeat),
        "managed": row.managed,
        "stuck": row.stuck,
        "stuck_reason": session.stuck_reason if session and row.stuck else None,
        "transaction_id": tx.id if tx else None,
        "connector_id": tx.connector_id if tx else None,
        "id_tag": tx.ocpp_id_tag if tx else None,
        "session_started": iso(tx.start_timestamp) if tx else None,
        "customer_email": session.customer.email if session and session.customer else None,
        "energy_wh": session.energy_wh if session else None,
        "meter_checked_at": iso(row.meter_checked_at),
        "fetched_at": iso(row.fetched_at),
    }


def counts_record(counts: FleetCounts) -> dict[str, int]:
    return counts.model_dump()


def operation_record(entry: OperationLogEntry) -> dict[str, Any]:
    return entry.model_dump(mode="json")


def answer_record(answer: TriageAnswer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "healthy": answer.healthy,
        "summary": answer.summary,
        "evidence": list(answer.evidence),
    }


def card_record(view: CardView) -> dict[str, Any]:
    """The triage verdict with its evidence, and what the card is."""
    tag = view.tag
    return {
        "id_tag": view.id_tag,
        "known_to_steve": tag is not None,
        "display_name": view.meta.display_name if view.meta else None,
        "parent_id_tag": tag.parent_id_tag if tag else None,
        "blocked": tag.blocked if tag else None,
        "expiry_date": iso(tag.expiry_date) if tag else None,
        "linked_customer": view.customer.external_id if view.customer else None,
        "link_from_id_tag": view.link_from_id_tag,
        "data_as_of": iso(view.data_as_of),
        "steve": source_record(view.steve_state),
        "lago": source_record(view.lago_state),
        "verdict": [answer_record(a) for a in view.verdict.answers()],
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A left-aligned plain text table (cleaned cells, two spaces between columns)."""
    cells = [[clean("" if v is None else v, limit=80) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def fleet_text(rows: Sequence[ChargerRow]) -> str:
    return table(
        ["ID", "Status", "Liveness", "Heartbeat", "Tx", "idTag", "Stuck"],
        [
            [
                r["charge_box_id"],
                r["status"],
                r["liveness"],
                r["last_heartbeat"] or "-",
                r["transaction_id"] or "",
                r["id_tag"] or "",
                "STUCK" if r["stuck"] else "",
            ]
            for r in map(charger_record, rows)
        ],
    )


def stuck_text(rows: Sequence[ChargerRow]) -> str:
    if not rows:
        return "no stuck session"
    return table(
        ["ID", "Tx", "idTag", "Started", "Why"],
        [
            [
                r["charge_box_id"],
                r["transaction_id"] or "",
                r["id_tag"] or "",
                r["session_started"] or "",
                r["stuck_reason"] or "",
            ]
            for r in map(charger_record, rows)
        ],
    )


def operations_text(entries: Sequence[OperationLogEntry]) -> str:
    if not entries:
        return "no operation"
    return table(
        ["#", "When", "Charger", "Operation", "Status", "Followup", "Who", "Task"],
        [
            [
                e.id,
                iso(e.created_at),
                e.charge_box_id,
                e.operation,
                e.status.value,
                e.followup.value if e.followup else "",
                e.requested_by,
                e.task_id if e.task_id is not None else "",
            ]
            for e in entries
        ],
    )


def card_text(view: CardView) -> str:
    record = card_record(view)
    name = f" ({clean(record['display_name'])})" if record["display_name"] else ""
    lines = [f"{clean(view.id_tag)}{name}"]
    if not record["known_to_steve"]:
        lines.append("  SteVe does not know this idTag")
    for answer in view.verdict.answers():
        lines.append(f"{answer.answer.upper():<8}{clean(answer.question)}")
        lines.append(f"        {clean(answer.summary)}")
        lines.extend(f"          - {clean(item)}" for item in answer.evidence)
    return "\n".join(lines)
