"""Hand a store test's PostgreSQL database on to the next test, as new.

A database just copied from the template is cold: the first connections
to it rebuild PostgreSQL's catalog caches, and opening a store on it costs
the server about 0.45 CPU-seconds, against 0.06 on a database already used.
Over two hundred store tests that was the largest single cost of the suite.

So after a test its database is put back to exactly the template's state
and used again, but only when that can be shown: every other connection
to it is ended, every table the template leaves empty is emptied, the
sequences are set back, and then the database's fingerprint (schema,
privileges, settings, every row of every table, every sequence) must equal
the template's. Anything else (a test that altered a table, refused
connections, wrote a migration row) and the database is dropped instead,
as before. The next test cannot tell a reused database from a fresh copy.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.waiting import BOUND

SYSTEM_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"

_SCHEMA_SQL = f"""
SELECT string_agg(line, E'\\n' ORDER BY line) FROM (
  SELECT 'db ' || datallowconn || ' ' || datconnlimit || ' ' || coalesce(datacl::text, '')
    FROM pg_database WHERE datname = current_database()
  UNION ALL
  SELECT 'setting ' || coalesce(setconfig::text, '') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL
  SELECT 'schema ' || nspname || ' ' || nspowner::regrole || ' ' || coalesce(nspacl::text, '')
    FROM pg_namespace WHERE nspname NOT IN {SYSTEM_SCHEMAS} AND nspname NOT LIKE 'pg_temp%'
      AND nspname NOT LIKE 'pg_toast_temp%'
  UNION ALL
  SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text || ' '
         || c.relowner::regrole || ' ' || coalesce(c.relacl::text, '')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN {SYSTEM_SCHEMAS} AND c.relpersistence <> 't'
  UNION ALL
  SELECT 'col ' || c.oid::regclass || ' ' || a.attnum || ' ' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' '
         || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname NOT IN {SYSTEM_SCHEMAS} AND a.attnum > 0 AND NOT a.attisdropped
      AND c.relpersistence <> 't'
  UNION ALL
  SELECT 'con ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace NOT IN
      (SELECT oid FROM pg_namespace WHERE nspname IN {SYSTEM_SCHEMAS})
  UNION ALL
  SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname NOT IN {SYSTEM_SCHEMAS}
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'view ' || schemaname || '.' || viewname || ' ' || definition FROM pg_views
    WHERE schemaname NOT IN {SYSTEM_SCHEMAS}
  UNION ALL
  SELECT 'func ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN {SYSTEM_SCHEMAS} AND p.prokind IN ('f', 'p')
  UNION ALL
  SELECT 'seq ' || schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, '-')
    FROM pg_sequences
) AS lines(line)
"""

_TABLES_SQL = f"""
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname NOT IN {SYSTEM_SCHEMAS} ORDER BY 1
"""


async def fingerprint(conn: asyncpg.Connection) -> str:
    """The schema, privileges, settings, sequences and every row, as one text."""
    parts = [await conn.fetchval(_SCHEMA_SQL) or ""]
    for table in await conn.fetch(_TABLES_SQL):
        name = table[0]
        rows = await conn.fetchval(
            f"SELECT count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '')"
            f" FROM {name} AS t"
        )
        parts.append(f"rows {name} {rows}")
    return "\n".join(parts)


class Template:
    """What a reused database must come back to: the template's fingerprint,
    the tables it leaves empty, and its sequences."""

    def __init__(self, fingerprint: str, empty: list[str], sequences: list[Any]) -> None:
        self.fingerprint = fingerprint
        self.empty_tables = empty
        self.sequences = sequences

    @classmethod
    async def read(cls, conn: asyncpg.Connection) -> Template:
        empty = [
            row[0]
            for row in await conn.fetch(_TABLES_SQL)
            if not await conn.fetchval(f"SELECT EXISTS (SELECT FROM {row[0]})")
        ]
        sequences = await conn.fetch(
            "SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences"
        )
        return cls(await fingerprint(conn), empty, list(sequences))

    async def reset(self, url: str, database: str) -> bool:
        """Put ``database`` back to the template's state; whether it now is."""
        try:
            conn = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError):
            return False  # e.g. a test left it refusing connections
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            await self._wait_alone(conn, database)
            async with conn.transaction():
                # DELETE, not TRUNCATE: a truncate gives each table new files and
                # costs the server ten times more on these few rows. Replica
                # mode skips the foreign-key checks: every one of them ends empty.
                await conn.execute("SET LOCAL session_replication_role = replica")
                for table in self.empty_tables:
                    await conn.execute(f"DELETE FROM {table}")
            for name, last_value in self.sequences:
                if last_value is None:
                    await conn.execute(f"ALTER SEQUENCE {name} RESTART")
                else:
                    await conn.execute("SELECT setval($1::regclass, $2, true)", name, last_value)
            return await fingerprint(conn) == self.fingerprint
        except asyncpg.PostgresError:
            return False  # a table or sequence the template had is gone
        finally:
            await conn.close()

    @staticmethod
    async def _wait_alone(conn: asyncpg.Connection, database: str) -> None:
        """Until the ended connections are gone (a next test may count them)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BOUND
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
        )
        while await conn.fetchval(query, database):
            if loop.time() > deadline:
                raise asyncpg.PostgresError("connections to the database outlived their end")
            await asyncio.sleep(0.01)
