"""The last-known SteVe data (for a later start or an outage) and the charger inventory."""

from __future__ import annotations

import asyncio

from polaris_tui.models import (
    ChargeBox,
    ConnectorStatus,
    InventoryCharger,
    OcppTag,
    Snapshot,
    Transaction,
)
from polaris_tui.store.backend import Tx
from polaris_tui.store.repos.base import Repository
from polaris_tui.store.values import from_text, to_text

SNAPSHOT_TABLES = (
    "snapshot_chargers",
    "snapshot_connectors",
    "snapshot_transactions",
    "snapshot_tags",
)


Rows = list[tuple[object, ...]]


def _snapshot_rows(snapshot: Snapshot) -> tuple[Rows, Rows, Rows, Rows]:
    """The snapshot tables' rows: chargers, connectors, open sessions, tags."""
    # Keyed, so a repeated id in SteVe's answer keeps the last one (and the
    # emptied tables can take a plain bulk insert).
    chargers: dict[str, tuple[str, str, int]] = {}
    connectors: dict[tuple[str, int], tuple[str, int, str]] = {}
    for position, box in enumerate(snapshot.chargers):
        data = box.model_dump_json(exclude={"connectors"})
        chargers[box.charge_box_id] = (box.charge_box_id, data, position)
        for conn in box.connectors:
            connectors[(box.charge_box_id, conn.connector_id)] = (
                box.charge_box_id,
                conn.connector_id,
                conn.model_dump_json(),
            )
    transactions = {
        tx.id: (tx.id, tx.charge_box_id, tx.model_dump_json())
        for tx in snapshot.active_transactions
    }
    tags = {
        tag.id_tag: (tag.id_tag, tag.model_dump_json(), i) for i, tag in enumerate(snapshot.tags)
    }
    return (
        list(chargers.values()),
        list(connectors.values()),
        list(transactions.values()),
        list(tags.values()),
    )


class FleetSnapshotRepository(Repository):
    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Replace the last-known SteVe data (chargers, connectors, open
        sessions, tags) and its time, in one transaction. The rows are
        serialised in a worker thread: 10,000 chargers are about 30,000 JSON
        documents, which the UI's event loop should not wait for."""
        chargers, connectors, transactions, tags = await asyncio.to_thread(_snapshot_rows, snapshot)
        fetched_at = to_text(snapshot.fetched_at)

        async def do(tx: Tx) -> None:
            for table in SNAPSHOT_TABLES:
                await tx.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            await tx.insert_rows(
                "snapshot_chargers", ("charge_box_id", "data", "position"), chargers
            )
            await tx.insert_rows(
                "snapshot_connectors",
                ("charge_box_id", "connector_id", "data"),
                connectors,
            )
            await tx.insert_rows(
                "snapshot_transactions",
                ("id", "charge_box_id", "data"),
                transactions,
            )
            await tx.insert_rows("snapshot_tags", ("id_tag", "data", "position"), tags)
            await tx.execute(
                "INSERT INTO snapshot_meta (source, fetched_at) VALUES ('steve', ?) "
                "ON CONFLICT (source) DO UPDATE SET fetched_at = excluded.fetched_at",
                (fetched_at,),
            )

        await self.backend.write(do)

    async def load_snapshot(self) -> Snapshot | None:
        """The last saved SteVe data, or None if there never was one."""

        async def load(tx: Tx) -> Snapshot | None:
            fetched = await tx.scalar("SELECT fetched_at FROM snapshot_meta WHERE source = 'steve'")
            if fetched is None:
                return None
            by_box: dict[str, list[ConnectorStatus]] = {}
            for row in await tx.fetchall(
                "SELECT charge_box_id, data FROM snapshot_connectors "
                "ORDER BY charge_box_id, connector_id"
            ):
                by_box.setdefault(row["charge_box_id"], []).append(
                    ConnectorStatus.model_validate_json(row["data"])
                )
            chargers = []
            for row in await tx.fetchall(
                "SELECT charge_box_id, data FROM snapshot_chargers ORDER BY position, charge_box_id"
            ):
                box = ChargeBox.model_validate_json(row["data"])
                box.connectors = by_box.get(row["charge_box_id"], [])
                chargers.append(box)
            transactions = [
                Transaction.model_validate_json(r["data"])
                for r in await tx.fetchall(
                    "SELECT data FROM snapshot_transactions ORDER BY id DESC"
                )
            ]
            tags = [
                OcppTag.model_validate_json(r["data"])
                for r in await tx.fetchall(
                    "SELECT data FROM snapshot_tags ORDER BY position, id_tag"
                )
            ]
            return Snapshot(
                chargers=chargers,
                active_transactions=transactions,
                tags=tags,
                fetched_at=from_text(fetched),
            )

        return await self.backend.read(load, consistent=True)

    # -- charger inventory (chargers known locally) -------------------------

    async def inventory(self) -> list[InventoryCharger]:
        rows = await self.backend.read(
            lambda tx: tx.fetchall("SELECT * FROM charger_inventory ORDER BY charge_box_id")
        )
        return [
            InventoryCharger(
                charge_box_id=r["charge_box_id"],
                description=r["description"],
                managed=bool(r["managed"]),
            )
            for r in rows
        ]

    async def add_inventory(self, charger: InventoryCharger) -> InventoryCharger:
        """Add or update a locally known charger (idempotent)."""
        values = (charger.charge_box_id, charger.description, int(charger.managed), self._now())

        async def do(tx: Tx) -> InventoryCharger:
            await tx.execute(
                "INSERT INTO charger_inventory (charge_box_id, description, managed, added_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (charge_box_id) DO UPDATE SET "
                "description = excluded.description, managed = excluded.managed",
                values,
            )
            return charger

        return await self.backend.write(do)
