"""The Lago customers cache (for search and for an outage of Lago)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from polaris_tui.models import LagoCustomer
from polaris_tui.store.backend import Tx
from polaris_tui.store.repos.base import Repository
from polaris_tui.store.values import from_text, to_text


class LagoCacheRepository(Repository):
    async def save_customers(self, customers: Iterable[LagoCustomer], fetched_at: datetime) -> None:
        """Replace the Lago customers cache and its time."""
        rows = [(c.external_id, c.email, c.model_dump_json(), i) for i, c in enumerate(customers)]
        fetched = to_text(fetched_at)

        async def do(tx: Tx) -> None:
            await tx.execute("DELETE FROM lago_customers")
            await tx.executemany(
                "INSERT INTO lago_customers (external_id, email, data, position) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (external_id) DO UPDATE SET "
                "email = excluded.email, data = excluded.data, position = excluded.position",
                rows,
            )
            await tx.execute(
                "INSERT INTO snapshot_meta (source, fetched_at) VALUES ('lago', ?) "
                "ON CONFLICT (source) DO UPDATE SET fetched_at = excluded.fetched_at",
                (fetched,),
            )

        await self.backend.write(do)

    async def load_customers(self) -> tuple[list[LagoCustomer], datetime] | None:
        """The cached Lago customers and when they were fetched, or None."""

        async def load(tx: Tx) -> tuple[list[LagoCustomer], datetime] | None:
            fetched = await tx.scalar("SELECT fetched_at FROM snapshot_meta WHERE source = 'lago'")
            if fetched is None:
                return None
            rows = await tx.fetchall(
                "SELECT data FROM lago_customers ORDER BY position, external_id"
            )
            return (
                [LagoCustomer.model_validate_json(r["data"]) for r in rows],
                from_text(fetched),
            )

        return await self.backend.read(load, consistent=True)
