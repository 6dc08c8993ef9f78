"""``store.url``: which store a process opens.

* a plain path, or ``sqlite:///abs/path`` (``sqlite:///~/x.sqlite`` too): the
  embedded SQLite store, the default;
* ``postgresql://user@host:5432/db`` (or ``postgres://``): the team's store.

Only this module looks at the text of the URL; everything else asks the
parsed ``StoreTarget`` which backend it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from polaris_tui.models.errors import ConfigError

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class StoreTarget:
    """A parsed store location: ``kind`` is ``sqlite`` or ``postgresql``."""

    kind: str
    path: Path | None = None
    """The SQLite file (``kind == "sqlite"``)."""
    dsn: str | None = None
    """The PostgreSQL connection string (``kind == "postgresql"``)."""

    @property
    def is_sqlite(self) -> bool:
        return self.kind == SQLITE

    def describe(self) -> str:
        """Where the store is, safe to print: a PostgreSQL password is masked."""
        if self.path is not None:
            return str(self.path)
        return redact_dsn(self.dsn or "")


def redact_dsn(dsn: str) -> str:
    """``postgresql://ana:secret@h/db`` -> ``postgresql://ana:****@h/db``."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def parse_store_url(value: str | Path) -> StoreTarget:
    """Parse a path or URL into a ``StoreTarget``.

    Raises:
        ConfigError: an unknown scheme, or a SQLite URL without a path.
    """
    if isinstance(value, Path):
        return StoreTarget(SQLITE, path=value.expanduser())
    text = value.strip()
    scheme = text.split(":", 1)[0].lower() if "://" in text else ""
    if not scheme:
        return StoreTarget(SQLITE, path=Path(text).expanduser())
    if scheme == "sqlite":
        rest = text.split("://", 1)[1]
        # sqlite:///abs/path -> "/abs/path"; sqlite:///~/x -> "~/x"
        if rest.startswith("/~"):
            rest = rest[1:]
        if not rest or rest == "/":
            raise ConfigError(
                "store.url: a sqlite URL needs a file, e.g. sqlite:///var/polaris.sqlite"
            )
        return StoreTarget(SQLITE, path=Path(rest).expanduser())
    if scheme in ("postgresql", "postgres"):
        return StoreTarget(POSTGRESQL, dsn=text)
    raise ConfigError(
        f"store.url: unknown scheme {scheme!r}; use a path, sqlite:///path or postgresql://…"
    )
