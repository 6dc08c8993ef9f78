"""Save a table as CSV or JSON (``ctrl+s`` in the console).

No Textual here: the screen hands over column labels and the rows as plain
strings, in the order shown (filtered and sorted), and this writes them.

* CSV: a header row, then the rows. A cell that a spreadsheet would run as
  a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) gets a
  leading ``'``: descriptions and idTags come from SteVe and are untrusted.
* JSON: a list of objects keyed by column label.

Files are created new (never overwritten), named ``<table>-<UTC time>.<ext>``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from platformdirs import user_state_dir

from polaris_tui.models.errors import ExportError

ExportFormat = Literal["csv", "json"]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def default_export_dir() -> Path:
    """Where exports go unless ``ui.export_dir`` says otherwise."""
    return Path(user_state_dir("polaris")) / "exports"


def _csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _target(folder: Path, name: str, at: datetime, ext: str) -> Path:
    stem = f"{_SAFE_NAME.sub('-', name).strip('-') or 'table'}-{at:%Y%m%d-%H%M%S}"
    return folder / f"{stem}.{ext}"


def export_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    fmt: ExportFormat,
    folder: Path,
    name: str,
    at: datetime,
) -> Path:
    """Write ``rows`` under ``columns`` to a new file in ``folder``; return its path.

    Raises:
        ExportError: the folder or the file cannot be written (the message says where).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = _target(folder, name, at, fmt)
        suffix = 1
        while True:
            try:
                handle = path.open("x", encoding="utf-8", newline="")
                break
            except FileExistsError:
                suffix += 1
                path = path.with_name(f"{_target(folder, name, at, fmt).stem}-{suffix}.{fmt}")
        with handle:
            if fmt == "csv":
                writer = csv.writer(handle)
                writer.writerow([_csv_cell(c) for c in columns])
                writer.writerows([_csv_cell(c) for c in row] for row in rows)
            else:
                records = [dict(zip(columns, row, strict=True)) for row in rows]
                json.dump(records, handle, ensure_ascii=False, indent=2)
                handle.write("\n")
    except OSError as exc:
        raise ExportError(f"Cannot write the export in {folder}: {exc.strerror or exc}") from exc
    return path
