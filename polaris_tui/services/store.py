"""Moved to ``polaris_tui.store`` (the store package below the services).

This name stays only so that code written against the old module keeps
importing while it moves over; new code imports ``polaris_tui.store``.
"""

from __future__ import annotations

from polaris_tui.store import (  # noqa: F401 - re-exported names
    INTERRUPTED_MESSAGE,
    INTERRUPTED_TITLE,
    SCHEMA_VERSION,
    UNSET,
    Store,
    from_json,
    from_text,
    to_json,
    to_text,
)
