"""``polaris cards import-links FILE.csv``: bulk-load card <-> customer links.

One card per line: ``id_tag, lago_customer_external_id, display_name,
tag_type`` (a header line with those names, or ``idTag``, is skipped). An
empty cell leaves what the store already has for that card; a new card
starts active. The whole file is checked first and nothing is written if a
line is wrong; then every change goes in one transaction. Running the same
file twice changes nothing the second time.

The README shows how to export these columns from the web console's own
``user_mappings`` table (``steve_ocpp_id_tag``, ``lago_customer_external_id``,
``display_name``, ``tag_type``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from polaris_tui.models import CardMeta
from polaris_tui.models.errors import ConfigError
from polaris_tui.store.facade import Store

HEADER_NAMES = {"id_tag", "idtag", "steve_ocpp_id_tag"}
MAX_FIELD = 255


@dataclass
class LinkRow:
    line: int
    id_tag: str
    lago_customer_id: str | None
    display_name: str | None
    tag_type: str | None


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged"
        )


def _cell(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def read_links(path: Path) -> list[LinkRow]:
    """Parse and check the whole file.

    Raises:
        ConfigError: unreadable file, or every wrong line (with its number).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    rows: list[LinkRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        if not cells or all(not c.strip() for c in cells):
            continue
        if number == 1 and cells[0].strip().lower() in HEADER_NAMES:
            continue
        if len(cells) > 4:
            errors.append(f"line {number}: {len(cells)} columns, expected at most 4")
            continue
        cells = cells + [""] * (4 - len(cells))
        id_tag = _cell(cells[0])
        if id_tag is None:
            errors.append(f"line {number}: no idTag")
            continue
        if any(len(c) > MAX_FIELD for c in cells):
            errors.append(f"line {number}: a value is longer than {MAX_FIELD} characters")
            continue
        if id_tag in seen:
            errors.append(f"line {number}: idTag {id_tag!r} already on line {seen[id_tag]}")
            continue
        seen[id_tag] = number
        rows.append(LinkRow(number, id_tag, _cell(cells[1]), _cell(cells[2]), _cell(cells[3])))
    if errors:
        shown = "; ".join(errors[:10]) + (
            f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
        )
        raise ConfigError(f"{path}: nothing imported: {shown}")
    return rows


async def import_links(store: Store, rows: list[LinkRow]) -> ImportReport:
    """Apply the links; cards whose metadata would not change are not written."""
    existing = await store.card_meta_all()
    report = ImportReport()
    changes: list[CardMeta] = []
    for row in rows:
        before = existing.get(row.id_tag)
        base = before or CardMeta(id_tag=row.id_tag)
        after = base.model_copy(
            update={
                key: value
                for key, value in (
                    ("lago_customer_id", row.lago_customer_id),
                    ("display_name", row.display_name),
                    ("tag_type", row.tag_type),
                )
                if value is not None
            }
        )
        if before is not None and after == before:
            report.unchanged.append(row.id_tag)
            continue
        (report.updated if before is not None else report.added).append(row.id_tag)
        changes.append(after)
    if changes:
        await store.upsert_many_card_meta(changes)
    return report
