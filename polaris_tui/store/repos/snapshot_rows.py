"""The fleet snapshot as table rows, and which of them changed since this
console's last write (so a save at 10,000 chargers writes a few rows, not
30,000).

Pure functions: they run in a worker thread, off the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from polaris_tui.models import Snapshot

Row = tuple[object, ...]
Key = object
"""A row's primary key: the value itself for one column, else a tuple."""


@dataclass(frozen=True, slots=True)
class SnapshotTable:
    name: str
    columns: tuple[str, ...]
    key_width: int
    """How many leading columns make the primary key."""

    def key(self, row: Row) -> Key:
        return row[0] if self.key_width == 1 else row[: self.key_width]

    def key_of(self, key: Key) -> tuple[object, ...]:
        return key if isinstance(key, tuple) else (key,)

    @property
    def upsert_sql(self) -> str:
        keys = self.columns[: self.key_width]
        rest = self.columns[self.key_width :]
        marks = ", ".join("?" for _ in self.columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in rest)
        return (
            f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        )

    @property
    def delete_sql(self) -> str:
        where = " AND ".join(f"{c} = ?" for c in self.columns[: self.key_width])
        return f"DELETE FROM {self.name} WHERE {where}"  # noqa: S608 - fixed names


CHARGERS = SnapshotTable("snapshot_chargers", ("charge_box_id", "data", "position"), 1)
CONNECTORS = SnapshotTable("snapshot_connectors", ("charge_box_id", "connector_id", "data"), 2)
TRANSACTIONS = SnapshotTable("snapshot_transactions", ("id", "charge_box_id", "data"), 1)
TAGS = SnapshotTable("snapshot_tags", ("id_tag", "data", "position"), 1)
SNAPSHOT_TABLES = (CHARGERS, CONNECTORS, TRANSACTIONS, TAGS)

Digests = dict[str, dict[Key, int]]
"""Per table, each stored row's hash by key: what this console last wrote.
A hash, not the row, so remembering 30,000 rows costs little memory."""


@dataclass(slots=True)
class WrittenSnapshot:
    """The snapshot rows this console last committed, and the stamp
    (writer, generation) it left in ``snapshot_meta`` with them."""

    writer: str
    generation: int
    digests: Digests


@dataclass(slots=True)
class SnapshotPlan:
    """What one save writes. ``full``: every row, into emptied tables."""

    full: bool
    upserts: dict[str, list[Row]] = field(default_factory=dict)
    deletes: dict[str, list[Key]] = field(default_factory=dict)
    digests: Digests = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return sum(map(len, self.upserts.values())) + sum(map(len, self.deletes.values()))


def _rows(snapshot: Snapshot, table: SnapshotTable) -> Iterator[Row]:
    if table is CHARGERS:
        for position, box in enumerate(snapshot.chargers):
            yield (box.charge_box_id, box.model_dump_json(exclude={"connectors"}), position)
    elif table is CONNECTORS:
        for box in snapshot.chargers:
            for conn in box.connectors:
                yield (box.charge_box_id, conn.connector_id, conn.model_dump_json())
    elif table is TRANSACTIONS:
        for tx in snapshot.active_transactions:
            yield (tx.id, tx.charge_box_id, tx.model_dump_json())
    else:
        for position, tag in enumerate(snapshot.tags):
            yield (tag.id_tag, tag.model_dump_json(), position)


def plan_snapshot(snapshot: Snapshot, previous: Digests | None) -> SnapshotPlan:
    """The rows to write so the tables hold ``snapshot``, given that they
    hold ``previous`` (None: unknown, so write them whole).

    Rows are keyed: a repeated id in SteVe's answer keeps the last one. Only
    changed rows are kept in memory, so a steady save peaks low."""
    plan = SnapshotPlan(full=previous is None)
    for table in SNAPSHOT_TABLES:
        before = {} if previous is None else previous.get(table.name, {})
        digests: dict[Key, int] = {}
        changed: dict[Key, Row] = {}
        for row in _rows(snapshot, table):
            key = table.key(row)
            digest = hash(row)
            digests[key] = digest
            if before.get(key) != digest or previous is None:
                changed[key] = row
            else:
                changed.pop(key, None)  # a repeat of an id back to its stored row
        plan.upserts[table.name] = list(changed.values())
        plan.deletes[table.name] = [key for key in before if key not in digests]
        plan.digests[table.name] = digests
    return plan
