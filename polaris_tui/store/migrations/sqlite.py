"""SQLite schema, versioned with ``PRAGMA user_version``.

Append new versions; never edit a released one. Each version's number must
match the PostgreSQL list (postgres.py): one schema number for both.
"""

from __future__ import annotations

V1 = [
    """
    CREATE TABLE charger_operation_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT UNIQUE,
        charge_box_id TEXT NOT NULL,
        operation TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        task_id INTEGER,
        requested_by TEXT NOT NULL,
        dry_run INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL,
        result TEXT,
        error_title TEXT,
        error_message TEXT,
        followup TEXT,
        followup_at TEXT,
        owner TEXT,
        created_at TEXT NOT NULL,
        completed_at TEXT
    )
    """,
    "CREATE INDEX ix_oplog_charger ON charger_operation_log (charge_box_id, id)",
    "CREATE INDEX ix_oplog_status ON charger_operation_log (status)",
    """
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        id_tag TEXT NOT NULL,
        before TEXT NOT NULL DEFAULT '{}',
        after TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'pending',
        error TEXT,
        reverts INTEGER REFERENCES audit_log (id),
        reverted_by INTEGER REFERENCES audit_log (id),
        owner TEXT,
        created_at TEXT NOT NULL,
        completed_at TEXT
    )
    """,
    "CREATE INDEX ix_audit_tag ON audit_log (id_tag, id)",
    """
    CREATE TABLE card_meta (
        id_tag TEXT PRIMARY KEY,
        display_name TEXT,
        tag_type TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        lago_customer_id TEXT,
        updated_at TEXT
    )
    """,
    # Last-known SteVe data, for a later start or an outage.
    "CREATE TABLE snapshot_meta (source TEXT PRIMARY KEY, fetched_at TEXT NOT NULL)",
    "CREATE TABLE snapshot_chargers (charge_box_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    """
    CREATE TABLE snapshot_connectors (
        charge_box_id TEXT NOT NULL,
        connector_id INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (charge_box_id, connector_id)
    )
    """,
    """
    CREATE TABLE snapshot_transactions (
        id INTEGER PRIMARY KEY,
        charge_box_id TEXT NOT NULL,
        data TEXT NOT NULL
    )
    """,
    "CREATE TABLE snapshot_tags (id_tag TEXT PRIMARY KEY, data TEXT NOT NULL)",
    """
    CREATE TABLE lago_customers (
        external_id TEXT PRIMARY KEY,
        email TEXT,
        data TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE charger_inventory (
        charge_box_id TEXT PRIMARY KEY,
        description TEXT,
        managed INTEGER NOT NULL DEFAULT 0,
        added_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE pairings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        charge_box_id TEXT NOT NULL,
        armed_by TEXT NOT NULL,
        armed_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        matched_id_tag TEXT,
        matched_at TEXT,
        cancelled_at TEXT
    )
    """,
    "CREATE INDEX ix_pairings_charger ON pairings (charge_box_id, id)",
    """
    CREATE TABLE scan_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL DEFAULT 'scan.intercepted',
        charge_box_id TEXT NOT NULL,
        connector_id INTEGER,
        id_tag TEXT NOT NULL,
        pairing_id INTEGER REFERENCES pairings (id),
        occurred_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX ix_scan_charger ON scan_events (charge_box_id, occurred_at)",
    "CREATE INDEX ix_scan_tag ON scan_events (id_tag, occurred_at)",
]

# Version 2: a natural key (uid) on every history row, so `polaris store copy`
# can run twice without duplicates; where each operation and edit came from;
# an explicit order for cached lists (PostgreSQL has no rowid).
V2 = [
    *(
        statement
        for table, index in (
            ("charger_operation_log", "ux_oplog_uid"),
            ("audit_log", "ux_audit_uid"),
            ("pairings", "ux_pairings_uid"),
            ("scan_events", "ux_scan_uid"),
        )
        for statement in (
            f"ALTER TABLE {table} ADD COLUMN uid TEXT",
            f"UPDATE {table} SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL",
            f"CREATE UNIQUE INDEX {index} ON {table} (uid)",
        )
    ),
    *(
        f"ALTER TABLE {table} ADD COLUMN {column} TEXT"
        for table in ("charger_operation_log", "audit_log")
        for column in ("console_host", "client_address")
    ),
    *(
        statement
        for table in ("snapshot_chargers", "snapshot_tags", "lago_customers")
        for statement in (
            f"ALTER TABLE {table} ADD COLUMN position INTEGER",
            f"UPDATE {table} SET position = rowid",
        )
    ),
]

# Who is who (issue 10): roles live in the store, each change audited; and
# one counter per topic, bumped by every write, so other processes can tell
# what changed after ``PRAGMA data_version`` moved (store/changes.py).
V3 = [
    """
    CREATE TABLE operators (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        granted_by TEXT NOT NULL,
        granted_at TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE operator_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        actor TEXT NOT NULL,
        name TEXT NOT NULL,
        role_before TEXT,
        role_after TEXT NOT NULL,
        console_host TEXT,
        client_address TEXT,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE TABLE store_changes (topic TEXT PRIMARY KEY, version INTEGER NOT NULL)",
]

# A refused role change is audited too (who tried, from where, and why not):
# ``refused`` holds the reason; NULL for a change that was made.
V4 = ["ALTER TABLE operator_audit ADD COLUMN refused TEXT"]

# The fleet snapshot is written incrementally (issue 13): who wrote it last
# and how many times, so a console can tell whether the stored rows are still
# the ones it wrote (then it writes only what changed) or another console
# wrote in between (then it rewrites them whole).
V5 = [
    "ALTER TABLE snapshot_meta ADD COLUMN writer TEXT",
    "ALTER TABLE snapshot_meta ADD COLUMN generation INTEGER NOT NULL DEFAULT 0",
]

# Operation chains (issue 12): an Unlock or a database-only close names the
# RemoteStop it continues, so the log can show where a stop ended.
V6 = [
    "ALTER TABLE charger_operation_log ADD COLUMN follows INTEGER",
    "CREATE INDEX ix_oplog_follows ON charger_operation_log (follows)",
]

MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, V1),
    (2, V2),
    (3, V3),
    (4, V4),
    (5, V5),
    (6, V6),
]
