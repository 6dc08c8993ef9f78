"""The last-known SteVe data (for a later start or an outage) and the charger inventory."""

from __future__ import annotations

import asyncio
from functools import partial

from polaris_tui.models import (
    ChargeBox,
    ConnectorStatus,
    InventoryCharger,
    OcppTag,
    Snapshot,
    Transaction,
)
from polaris_tui.release import release
from polaris_tui.store.backend import Tx
from polaris_tui.store.repos.base import Repository, new_uid
from polaris_tui.store.repos.snapshot_rows import (
    SNAPSHOT_TABLES,
    SnapshotPlan,
    WrittenSnapshot,
    plan_snapshot,
)
from polaris_tui.store.values import from_text, to_text

SNAPSHOT_TABLE_NAMES = tuple(table.name for table in SNAPSHOT_TABLES)


class FleetSnapshotRepository(Repository):
    _written_snapshot: WrittenSnapshot | None = None
    """What this console last committed to the snapshot tables (None: nothing yet)."""

    async def save_snapshot(self, snapshot: Snapshot) -> int:
        """Make the stored SteVe data (chargers, connectors, open sessions,
        tags) and its time ``snapshot``, in one transaction; return how many
        rows were written.

        Only rows that changed since this console's last save are written
        (upsert, and delete of vanished ones). If another console saved in
        between (``snapshot_meta``'s writer/generation stamp is not ours),
        the tables are rewritten whole, so they always hold one poll's data.
        Rows are serialised in a worker thread: 10,000 chargers are about
        30,000 JSON documents, which the UI's event loop should not wait for."""
        previous = self._written_snapshot
        plan = await asyncio.to_thread(
            plan_snapshot,
            snapshot,
            None if previous is None else previous.digests,
            None if previous is None else previous.snapshot,
        )
        written = await self.backend.write(partial(_write_plan, plan, previous, snapshot))
        if written is None:  # another console wrote since: rewrite whole
            plan = await asyncio.to_thread(plan_snapshot, snapshot, None)
            written = await self.backend.write(partial(_write_plan, plan, None, snapshot))
        assert written is not None  # a full plan always writes
        written_rows = plan.row_count
        self._written_snapshot = written
        # The last save's digests and data (the stations of three polls ago,
        # kept alive by it alone) and this plan's rows: freed off the UI thread.
        release(previous, plan)
        del previous, plan
        return written_rows

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


async def _write_plan(
    plan: SnapshotPlan, previous: WrittenSnapshot | None, snapshot: Snapshot, tx: Tx
) -> WrittenSnapshot | None:
    """Apply ``plan`` in ``tx``; None (nothing written) when an incremental
    plan finds the tables no longer hold what ``previous`` says."""
    stamp = await tx.fetchone("SELECT writer, generation FROM snapshot_meta WHERE source = 'steve'")
    generation = 0 if stamp is None else int(stamp["generation"] or 0)
    if not plan.full:
        assert previous is not None
        if stamp is None or (stamp["writer"], generation) != (previous.writer, previous.generation):
            return None
    if plan.full:
        for name in SNAPSHOT_TABLE_NAMES:
            await tx.execute(f"DELETE FROM {name}")  # noqa: S608 - fixed names
    for table in SNAPSHOT_TABLES:
        deletes = plan.deletes.get(table.name, [])
        if deletes:
            await tx.executemany(table.delete_sql, [table.key_of(k) for k in deletes])
        upserts = plan.upserts.get(table.name, [])
        if plan.full:
            await tx.insert_rows(table.name, table.columns, upserts)
        elif upserts:
            await tx.executemany(table.upsert_sql, upserts)
    writer = new_uid() if previous is None else previous.writer
    await tx.execute(
        "INSERT INTO snapshot_meta (source, fetched_at, writer, generation) "
        "VALUES ('steve', ?, ?, ?) ON CONFLICT (source) DO UPDATE SET "
        "fetched_at = excluded.fetched_at, writer = excluded.writer, "
        "generation = excluded.generation",
        (to_text(snapshot.fetched_at), writer, generation + 1),
    )
    return WrittenSnapshot(writer, generation + 1, plan.digests, snapshot)
