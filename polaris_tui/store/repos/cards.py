"""``card_meta``: what SteVe does not hold about a card (name, type, active, Lago link)."""

from __future__ import annotations

from polaris_tui.models import CardMeta
from polaris_tui.store.backend import Row, Tx
from polaris_tui.store.repos.base import Repository

UPSERT_CARD_META = (
    "INSERT INTO card_meta (id_tag, display_name, tag_type, active, lago_customer_id, "
    "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id_tag) DO UPDATE SET "
    "display_name = excluded.display_name, tag_type = excluded.tag_type, "
    "active = excluded.active, lago_customer_id = excluded.lago_customer_id, "
    "updated_at = excluded.updated_at"
)


def card_meta_from_row(row: Row) -> CardMeta:
    return CardMeta(
        id_tag=row["id_tag"],
        display_name=row["display_name"],
        tag_type=row["tag_type"],
        active=bool(row["active"]),
        lago_customer_id=row["lago_customer_id"],
    )


def card_meta_values(meta: CardMeta, updated_at: str | None) -> tuple[object, ...]:
    return (
        meta.id_tag,
        meta.display_name,
        meta.tag_type,
        int(meta.active),
        meta.lago_customer_id,
        updated_at,
    )


class CardMetaRepository(Repository):
    async def card_meta_all(self) -> dict[str, CardMeta]:
        rows = await self.backend.read(
            lambda tx: tx.fetchall("SELECT * FROM card_meta ORDER BY id_tag")
        )
        return {r["id_tag"]: card_meta_from_row(r) for r in rows}

    async def get_card_meta(self, id_tag: str) -> CardMeta | None:
        row = await self.backend.read(
            lambda tx: tx.fetchone("SELECT * FROM card_meta WHERE id_tag = ?", (id_tag,))
        )
        return None if row is None else card_meta_from_row(row)

    async def upsert_card_meta(self, meta: CardMeta) -> CardMeta:
        values = card_meta_values(meta, self._now())

        async def do(tx: Tx) -> CardMeta:
            await tx.execute(UPSERT_CARD_META, values)
            return meta

        return await self.backend.write(do)

    async def upsert_many_card_meta(self, metas: list[CardMeta]) -> None:
        """Several cards in one transaction (bulk import of links)."""
        now = self._now()
        rows = [card_meta_values(meta, now) for meta in metas]

        async def do(tx: Tx) -> None:
            await tx.executemany(UPSERT_CARD_META, rows)

        await self.backend.write(do)

    async def delete_card_meta(self, id_tag: str) -> None:
        """Remove a card's local metadata (used by a revert of its creation)."""

        async def do(tx: Tx) -> None:
            await tx.execute("DELETE FROM card_meta WHERE id_tag = ?", (id_tag,))

        await self.backend.write(do)
