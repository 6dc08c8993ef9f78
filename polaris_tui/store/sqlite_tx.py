"""One SQLite transaction as the store's ``Tx`` (the SQL the repositories run)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

from polaris_tui.store.backend import (
    IntegrityViolation,
    Row,
)
from polaris_tui.store.changes import Touched


class SqliteTx:
    """``Tx`` over one aiosqlite connection."""

    dialect = "sqlite"

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self.touched = Touched()

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.touched.statement(sql)
        try:
            cursor = await self._db.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc
        await cursor.close()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.touched.statement(sql)
        try:
            await self._db.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.touched.statement(sql)
        try:
            cursor = await self._db.execute(sql, params)
        except sqlite3.IntegrityError as exc:  # INSERT … RETURNING
            raise IntegrityViolation(str(exc)) from exc
        rows = await cursor.fetchall()
        await cursor.close()
        return list(rows)  # type: ignore[arg-type]

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]  # type: ignore[index]

    async def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        marks = ", ".join("?" for _ in columns)
        await self.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
