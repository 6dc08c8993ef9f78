"""``polaris store copy``: move one store's history into another (a laptop's
SQLite file into the team's PostgreSQL), any number of times without
duplicating anything.

History rows are matched by their ``uid`` (schema 2 gives every operation,
audit entry, pairing and scan event one, and opening an older store with
migrations fills them in, so the same row has the same uid every run).
Links between rows (an audit entry's ``reverts``/``reverted_by``, a scan
event's pairing) are carried over by uid too, as ids differ between stores.
Card metadata keeps the newer of the two versions (``updated_at``); the
inventory keeps what the target has. The last-known fleet and the Lago cache
are caches, not history: the target's own consoles refresh them.

Pending rows keep their owner: no console of the target has that session,
so the target's next console start marks them interrupted, as it should.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from polaris_tui.store.backend import Row, Tx
from polaris_tui.store.facade import Store

OPERATION_COLUMNS = (
    "uid",
    "request_id",
    "charge_box_id",
    "operation",
    "params",
    "task_id",
    "requested_by",
    "dry_run",
    "status",
    "result",
    "error_title",
    "error_message",
    "followup",
    "followup_at",
    "owner",
    "created_at",
    "completed_at",
    "console_host",
    "client_address",
)
AUDIT_COLUMNS = (
    "uid",
    "actor",
    "action",
    "id_tag",
    "before",
    "after",
    "status",
    "error",
    "owner",
    "created_at",
    "completed_at",
    "console_host",
    "client_address",
)
PAIRING_COLUMNS = (
    "uid",
    "charge_box_id",
    "armed_by",
    "armed_at",
    "expires_at",
    "matched_id_tag",
    "matched_at",
    "cancelled_at",
)
SCAN_COLUMNS = ("uid", "kind", "charge_box_id", "connector_id", "id_tag", "occurred_at")
CARD_COLUMNS = ("id_tag", "display_name", "tag_type", "active", "lago_customer_id", "updated_at")
INVENTORY_COLUMNS = ("charge_box_id", "description", "managed", "added_at")


@dataclass
class CopyReport:
    """Per table: rows written to the target, and rows it already had."""

    copied: dict[str, int] = field(default_factory=dict)
    already_there: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"{table}: {self.copied[table]} copied, {self.already_there[table]} already there"
            for table in self.copied
        ]


def _insert(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" for _ in columns)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608 - fixed names
        "ON CONFLICT DO NOTHING RETURNING id"
    )


async def _uid_ids(tx: Tx, table: str) -> dict[str, int]:
    rows = await tx.fetchall(f"SELECT uid, id FROM {table}")  # noqa: S608 - fixed names
    return {r["uid"]: r["id"] for r in rows}


async def _copy_by_uid(
    tx: Tx,
    report: CopyReport,
    table: str,
    columns: Sequence[str],
    rows: list[Row],
    extra: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Insert the rows whose uid the target lacks; return uid -> target id."""
    known = await _uid_ids(tx, table)
    copied = 0
    for row in rows:
        if row["uid"] in known:
            continue
        values = [row[c] for c in columns]
        names = list(columns)
        for name, value in (extra or {}).items():
            names.append(name)
            values.append(value(row) if callable(value) else value)
        new_id = await tx.scalar(_insert(table, names), values)
        if new_id is not None:  # None: a UNIQUE request_id clash, counted as there
            known[row["uid"]] = new_id
            copied += 1
    report.copied[table] = copied
    report.already_there[table] = len(rows) - copied
    return known


async def copy_store(source: Store, target: Store) -> CopyReport:
    """Copy ``source``'s history into ``target`` in one target transaction."""

    async def read_all(tx: Tx) -> dict[str, list[Row]]:
        return {
            table: await tx.fetchall(f"SELECT * FROM {table} ORDER BY {order}")  # noqa: S608
            for table, order in (
                ("charger_operation_log", "id"),
                ("audit_log", "id"),
                ("pairings", "id"),
                ("scan_events", "id"),
                ("card_meta", "id_tag"),
                ("charger_inventory", "charge_box_id"),
            )
        }

    data = await source.read(read_all, consistent=True)
    operation_uid_by_id = {r["id"]: r["uid"] for r in data["charger_operation_log"]}
    audit_uid_by_id = {r["id"]: r["uid"] for r in data["audit_log"]}
    pairing_uid_by_id = {r["id"]: r["uid"] for r in data["pairings"]}

    async def write_all(tx: Tx) -> CopyReport:
        report = CopyReport()
        operation_ids = await _copy_by_uid(
            tx, report, "charger_operation_log", OPERATION_COLUMNS, data["charger_operation_log"]
        )
        # Operation chains (follows), by uid like the audit links below.
        for row in data["charger_operation_log"]:
            followed_uid = operation_uid_by_id.get(row["follows"]) if row["follows"] else None
            if followed_uid is None or followed_uid not in operation_ids:
                continue
            await tx.execute(
                "UPDATE charger_operation_log SET follows = ? WHERE uid = ? AND follows IS NULL",
                (operation_ids[followed_uid], row["uid"]),
            )
        audit_ids = await _copy_by_uid(tx, report, "audit_log", AUDIT_COLUMNS, data["audit_log"])
        # Links between audit entries, by uid (ids differ between stores).
        for row in data["audit_log"]:
            for column in ("reverts", "reverted_by"):
                linked_uid = audit_uid_by_id.get(row[column]) if row[column] else None
                if linked_uid is None or linked_uid not in audit_ids:
                    continue
                await tx.execute(
                    f"UPDATE audit_log SET {column} = ? WHERE uid = ? AND {column} IS NULL",  # noqa: S608
                    (audit_ids[linked_uid], row["uid"]),
                )
        pairing_ids = await _copy_by_uid(tx, report, "pairings", PAIRING_COLUMNS, data["pairings"])

        def pairing_of(row: Row) -> int | None:
            uid = pairing_uid_by_id.get(row["pairing_id"]) if row["pairing_id"] else None
            return pairing_ids.get(uid) if uid else None

        await _copy_by_uid(
            tx,
            report,
            "scan_events",
            SCAN_COLUMNS,
            data["scan_events"],
            extra={"pairing_id": pairing_of},
        )
        copied = 0
        for row in data["card_meta"]:
            changed = await tx.fetchone(
                "INSERT INTO card_meta (id_tag, display_name, tag_type, active, "
                "lago_customer_id, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id_tag) DO UPDATE SET display_name = excluded.display_name, "
                "tag_type = excluded.tag_type, active = excluded.active, "
                "lago_customer_id = excluded.lago_customer_id, updated_at = excluded.updated_at "
                "WHERE card_meta.updated_at IS NULL OR card_meta.updated_at < excluded.updated_at "
                "RETURNING id_tag",
                [row[c] for c in CARD_COLUMNS],
            )
            copied += changed is not None
        report.copied["card_meta"] = copied
        report.already_there["card_meta"] = len(data["card_meta"]) - copied
        copied = 0
        for row in data["charger_inventory"]:
            added = await tx.fetchone(
                "INSERT INTO charger_inventory (charge_box_id, description, managed, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING charge_box_id",
                [row[c] for c in INVENTORY_COLUMNS],
            )
            copied += added is not None
        report.copied["charger_inventory"] = copied
        report.already_there["charger_inventory"] = len(data["charger_inventory"]) - copied
        return report

    return await target.write(write_all)
