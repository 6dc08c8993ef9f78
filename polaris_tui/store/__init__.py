"""Polaris' store: the operation and audit logs, card metadata and links, the
last-known fleet, scan-to-login and the Lago cache, on SQLite (the embedded
default) or PostgreSQL (a team's shared store).

Below the services: the services import it, it never imports Textual or a
service: only the models (and their error types, ``models/errors.py``).

* ``target``       ``store.url`` parsing
* ``backend``      the one interface (``Backend``, ``Tx``) both backends offer
* ``sqlite_backend``, ``postgres_backend``  connections, transactions, sessions
* ``migrations/``  versioned schemas, one list per backend
* ``repos/``       one repository per concern
* ``facade``       ``Store``, what callers hold
* ``files``        file modes (private by default, group-shared on request)
* ``transfer``     ``polaris store copy`` and ``polaris cards import-links``
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polaris_tui.store.facade import Store
    from polaris_tui.store.migrations import SCHEMA_VERSION
    from polaris_tui.store.repos.operations import INTERRUPTED_MESSAGE, INTERRUPTED_TITLE
    from polaris_tui.store.target import StoreTarget, parse_store_url
    from polaris_tui.store.values import UNSET, from_json, from_text, to_json, to_text

# Lazy (PEP 562): ``polaris_tui.store.files`` or ``.target`` alone (the CLI,
# the settings, the demo's log file) must not import every repository first.
_HOMES = {
    "Store": "polaris_tui.store.facade",
    "SCHEMA_VERSION": "polaris_tui.store.migrations",
    "INTERRUPTED_MESSAGE": "polaris_tui.store.repos.operations",
    "INTERRUPTED_TITLE": "polaris_tui.store.repos.operations",
    "StoreTarget": "polaris_tui.store.target",
    "parse_store_url": "polaris_tui.store.target",
    "UNSET": "polaris_tui.store.values",
    "from_json": "polaris_tui.store.values",
    "from_text": "polaris_tui.store.values",
    "to_json": "polaris_tui.store.values",
    "to_text": "polaris_tui.store.values",
}


def __getattr__(name: str) -> Any:
    """Import a re-exported name's module on first use (then it is a plain global)."""
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "INTERRUPTED_MESSAGE",
    "INTERRUPTED_TITLE",
    "SCHEMA_VERSION",
    "UNSET",
    "Store",
    "StoreTarget",
    "from_json",
    "from_text",
    "parse_store_url",
    "to_json",
    "to_text",
]
