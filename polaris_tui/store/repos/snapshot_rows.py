"""The fleet snapshot as table rows, and which of them changed since this
console's last write (so a save at 10,000 chargers writes a few rows, not
30,000).

Pure functions: they run in a worker thread, off the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import BaseModel

from polaris_tui.models import ChargeBox, ConnectorStatus, OcppTag, Snapshot, Transaction

Row = tuple[object, ...]
Key = object
"""A row's primary key: the value itself for one column, else a tuple."""


@dataclass(frozen=True, slots=True)
class SnapshotTable:
    name: str
    columns: tuple[str, ...]
    key_width: int
    """How many leading columns make the primary key."""

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
    snapshot: Snapshot | None = None
    """The snapshot written: an item that is the very object at the same place
    in the next one keeps its digest without being hashed again."""


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


def _fingerprint(model: BaseModel, extra: object, skip: str | None = None) -> int:
    """A hash of the model's values (equal values, equal JSON): about 20x
    cheaper than serialising, so unchanged rows are never serialised. Falls
    back to the JSON for a value that cannot be hashed (a list)."""
    values = tuple(v for k, v in model.__dict__.items() if k != skip)
    try:
        return hash((values, extra))
    except TypeError:
        return hash((model.model_dump_json(exclude={skip} if skip else None), extra))


Fingerprint = Callable[[], int] | None
"""How to hash an item's row; None: the item is the very object written at
the same place last time (models are replaced, never changed in place)."""


def _same_at(last: Sequence[object] | None, position: int, item: object) -> bool:
    return last is not None and position < len(last) and last[position] is item


def _rows(
    snapshot: Snapshot, table: SnapshotTable, last: Snapshot | None
) -> Iterator[tuple[Fingerprint, Key, Callable[[], Row]]]:
    """(fingerprint, key, how to build the row) of each of ``table``'s rows."""
    if table is CHARGERS:
        boxes = last.chargers if last is not None else None
        for position, box in enumerate(snapshot.chargers):
            yield (
                None
                if _same_at(boxes, position, box)
                else partial(_fingerprint, box, position, "connectors"),
                box.charge_box_id,
                partial(_charger_row, box, position),
            )
    elif table is CONNECTORS:
        boxes = last.chargers if last is not None else None
        for position, box in enumerate(snapshot.chargers):
            same = _same_at(boxes, position, box)
            for conn in box.connectors:
                key = (box.charge_box_id, conn.connector_id)
                yield (
                    None if same else partial(_fingerprint, conn, key),
                    key,
                    partial(_connector_row, key, conn),
                )
    elif table is TRANSACTIONS:
        active = last.active_transactions if last is not None else None
        for position, tx in enumerate(snapshot.active_transactions):
            yield (
                None if _same_at(active, position, tx) else partial(_fingerprint, tx, None),
                tx.id,
                partial(_transaction_row, tx),
            )
    else:
        tags = last.tags if last is not None else None
        for position, tag in enumerate(snapshot.tags):
            yield (
                None if _same_at(tags, position, tag) else partial(_fingerprint, tag, position),
                tag.id_tag,
                partial(_tag_row, tag, position),
            )


def _unknown() -> int:
    """A digest no row has: an item whose last digest is lost is written again."""
    return -1


def _charger_row(box: ChargeBox, position: int) -> Row:
    return (box.charge_box_id, box.model_dump_json(exclude={"connectors"}), position)


def _connector_row(key: tuple[str, int], conn: ConnectorStatus) -> Row:
    return (*key, conn.model_dump_json())


def _transaction_row(tx: Transaction) -> Row:
    return (tx.id, tx.charge_box_id, tx.model_dump_json())


def _tag_row(tag: OcppTag, position: int) -> Row:
    return (tag.id_tag, tag.model_dump_json(), position)


def plan_snapshot(
    snapshot: Snapshot, previous: Digests | None, last: Snapshot | None = None
) -> SnapshotPlan:
    """The rows to write so the tables hold ``snapshot``, given that they
    hold ``previous`` (None: unknown, so write them whole), written from
    ``last``: an item that is the very object at its place in ``last`` keeps
    its digest unhashed, so a steady save hashes only what the poll changed.

    Rows are keyed: a repeated id in SteVe's answer keeps the last one. Only
    changed rows are kept in memory, so a steady save peaks low."""
    plan = SnapshotPlan(full=previous is None)
    if previous is None:
        last = None
    steady = {} if previous is None or last is None else _steady(snapshot, previous, last)
    for table in SNAPSHOT_TABLES:
        if table.name in steady:
            upserts, deletes, digests_kept = steady[table.name]
            plan.upserts[table.name] = upserts
            plan.deletes[table.name] = deletes
            plan.digests[table.name] = digests_kept
            continue
        before = {} if previous is None else previous.get(table.name, {})
        digests: dict[Key, int] = {}
        changed: dict[Key, Row] = {}
        for fingerprint, key, build in _rows(snapshot, table, last):
            kept = before.get(key) if fingerprint is None else None
            digest = kept if kept is not None else (fingerprint or _unknown)()
            digests[key] = digest
            if before.get(key) != digest or previous is None:
                changed[key] = build()
            else:
                changed.pop(key, None)  # a repeat of an id back to its stored row
        plan.upserts[table.name] = list(changed.values())
        plan.deletes[table.name] = [key for key in before if key not in digests]
        plan.digests[table.name] = digests
    return plan


# --------------------------------------------------------------------------
# A steady save: only the places whose object changed are looked at
# --------------------------------------------------------------------------

TablePlan = tuple[list[Row], list[Key], dict[Key, int]]
"""A table's upserts, deletes and digests."""


def _moved(
    last: Sequence[Any], now: Sequence[Any], key_of: Callable[[Any], Key]
) -> list[int] | None:
    """Places holding another object than in ``last``; None when the length
    or a key at some place changed (the full plan's rules then apply)."""
    if len(last) != len(now):
        return None
    changed = [i for i, (a, b) in enumerate(zip(now, last, strict=True)) if a is not b]
    if any(key_of(now[i]) != key_of(last[i]) for i in changed):
        return None
    return changed


def _steady(snapshot: Snapshot, previous: Digests, last: Snapshot) -> dict[str, TablePlan]:
    """Plans of the tables whose items kept their keys and places since
    ``last`` was written (with ``previous``'s digests): hashed and written
    only where the object changed, O(items changed). A table whose stored
    rows are not one per item (a repeated key) is left to the full plan."""
    plans: dict[str, TablePlan] = {}
    chargers = _steady_chargers(snapshot, previous, last)
    if chargers is not None:
        plans[CHARGERS.name], plans[CONNECTORS.name] = chargers
    active = _steady_items(
        snapshot.active_transactions,
        last.active_transactions,
        previous.get(TRANSACTIONS.name, {}),
        lambda tx, _: (tx.id, _fingerprint(tx, None), partial(_transaction_row, tx)),
    )
    if active is not None:
        plans[TRANSACTIONS.name] = active
    tags = _steady_items(
        snapshot.tags,
        last.tags,
        previous.get(TAGS.name, {}),
        lambda tag, at: (tag.id_tag, _fingerprint(tag, at), partial(_tag_row, tag, at)),
    )
    if tags is not None:
        plans[TAGS.name] = tags
    return plans


def _steady_items(
    items: Sequence[Any],
    last: Sequence[Any],
    before: dict[Key, int],
    read: Callable[[Any, int], tuple[Key, int, Callable[[], Row]]],
) -> TablePlan | None:
    if len(before) != len(items):
        return None
    changed = _moved(last, items, lambda item: read(item, 0)[0])
    if changed is None:
        return None
    digests = dict(before)
    upserts: list[Row] = []
    for at in changed:
        key, digest, build = read(items[at], at)
        if before.get(key) != digest:
            digests[key] = digest
            upserts.append(build())
    return upserts, [], digests


def _steady_chargers(
    snapshot: Snapshot, previous: Digests, last: Snapshot
) -> tuple[TablePlan, TablePlan] | None:
    boxes = snapshot.chargers
    before = previous.get(CHARGERS.name, {})
    before_connectors = previous.get(CONNECTORS.name, {})
    if len(before) != len(boxes):
        return None
    changed = _moved(last.chargers, boxes, lambda box: box.charge_box_id)
    if changed is None:
        return None
    digests = dict(before)
    connector_digests = dict(before_connectors)
    upserts: list[Row] = []
    connector_upserts: list[Row] = []
    connector_deletes: list[Key] = []
    for at in changed:
        box = boxes[at]
        digest = _fingerprint(box, at, "connectors")
        if before.get(box.charge_box_id) != digest:
            digests[box.charge_box_id] = digest
            upserts.append(_charger_row(box, at))
        keys: set[Key] = set()
        for conn in box.connectors:
            key = (box.charge_box_id, conn.connector_id)
            if key in keys:
                return None  # a repeated connector: the full plan's rules
            keys.add(key)
            digest = _fingerprint(conn, key)
            if before_connectors.get(key) != digest:
                connector_digests[key] = digest
                connector_upserts.append(_connector_row(key, conn))
        for conn in last.chargers[at].connectors:
            key = (box.charge_box_id, conn.connector_id)
            if key not in keys and connector_digests.pop(key, None) is not None:
                connector_deletes.append(key)
    return (upserts, [], digests), (connector_upserts, connector_deletes, connector_digests)
