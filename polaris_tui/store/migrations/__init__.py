"""Versioned schemas, one list per backend, one version number for both."""

from __future__ import annotations

from polaris_tui.store.migrations import postgres, sqlite

SCHEMA_VERSION = sqlite.MIGRATIONS[-1][0]

if [n for n, _ in sqlite.MIGRATIONS] != [n for n, _ in postgres.MIGRATIONS]:  # pragma: no cover
    raise RuntimeError("SQLite and PostgreSQL migrations must have the same version numbers")
