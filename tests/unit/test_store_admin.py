"""Store administration on both backends: migrate/init, copy (twice, no
duplicates), card links import (twice, no change), through ``polaris``
itself where a user would type it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from polaris_tui import cli
from polaris_tui.models import CardMeta, OperationStatus, StopFollowup
from polaris_tui.models.errors import ConfigError
from polaris_tui.services.clock import FixedClock
from polaris_tui.store import SCHEMA_VERSION, Store
from polaris_tui.store.links import import_links, read_links
from polaris_tui.store.transfer import copy_store
from tests.pg import raw_rows

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


async def _laptop_history(path: Path, clock: FixedClock) -> None:
    """A technician's SQLite store: operations (one left pending by a crash),
    an edit and its revert, a pairing with its intercepted tap, card links."""
    store = await Store.open(path, clock=clock)
    try:
        done = await store.insert_operation(
            charge_box_id="CP-ALPHA-01",
            operation="RemoteStopTransaction",
            params={"transactionId": 1001},
            requested_by="tech",
            dry_run=False,
            request_id="laptop-1",
        )
        await store.finish_operation(
            done.id, OperationStatus.SUBMITTED, task_id=3, followup=StopFollowup.WATCHING
        )
        await store.insert_operation(
            charge_box_id="CP-BRAVO-02",
            operation="UnlockConnector",
            params={"connectorId": 1},
            requested_by="tech",
            dry_run=False,
            request_id="laptop-2",
        )  # left pending: the laptop "crashed"
        edit = await store.insert_audit(
            actor="tech", action="block", id_tag="CARD-A", before={"m": 1}, after={"m": 0}
        )
        await store.finish_audit(edit.id, "applied")
        revert = await store.insert_audit(
            actor="tech", action="revert", id_tag="CARD-A", before={}, after={}, reverts=edit.id
        )
        await store.set_reverted_by(edit.id, revert.id)
        pairing = await store.insert_pairing(
            "CP-FOXTROT-06", armed_by="tech", expires_at=NOW + timedelta(minutes=2)
        )
        await store.claim_pairing("CP-FOXTROT-06", "CARD-KIOSK", connector_id=1)
        assert pairing.id
        await store.upsert_card_meta(
            CardMeta(id_tag="CARD-A", display_name="Ada", lago_customer_id="cust-ada")
        )
    finally:
        await store.close()


async def _counts(url: str) -> dict[str, int]:
    tables = ("charger_operation_log", "audit_log", "pairings", "scan_events", "card_meta")
    return {t: (await raw_rows(url, f"SELECT count(*) FROM {t}"))[0][0] for t in tables}


async def test_copy_twice_duplicates_nothing_and_keeps_links(
    tmp_path: Path, store_url: str, clock: FixedClock
):
    laptop = tmp_path / "laptop.sqlite"
    await _laptop_history(laptop, clock)
    team = await Store.open(store_url, clock=clock)
    try:
        await team.upsert_card_meta(CardMeta(id_tag="CARD-TEAM", display_name="Team card"))
        source = await Store.open(laptop, clock=clock)
        try:
            first = await copy_store(source, team)
            second = await copy_store(source, team)
        finally:
            await source.close()
        assert first.copied["charger_operation_log"] == 2
        assert first.copied["audit_log"] == 2 and first.copied["scan_events"] == 1
        assert set(second.copied.values()) == {0}, second.lines()
        assert second.already_there["charger_operation_log"] == 2
        assert await _counts(store_url) == {
            "charger_operation_log": 2,
            "audit_log": 2,
            "pairings": 1,
            "scan_events": 1,
            "card_meta": 2,
        }
        # Links between rows point at the target's own ids.
        edit, revert = sorted(await team.audit_entries(), key=lambda a: a.id)
        assert edit.reverted_by == revert.id and revert.reverts == edit.id
        (event,) = await team.scan_events()
        (pairing,) = await team.pairings(include_inactive=True)
        assert event.pairing_id == pairing.id and pairing.matched_id_tag == "CARD-KIOSK"
        # The laptop's pending row has no live console here: the next start marks it.
        marked = await team.mark_interrupted()
        assert [m.request_id for m in marked] == ["laptop-2"]
        assert (await team.get_card_meta("CARD-A")).lago_customer_id == "cust-ada"
    finally:
        await team.close()


LINKS = """id_tag,lago_customer_external_id,display_name,tag_type
CARD-ADA,cust-ada,Ada Lovelace,ev_card
CARD-GRACE,cust-grace,,keytag
"CARD,COMMA",cust-comma,"Comma, Inc.",sticker
"""


async def test_import_links_twice_changes_nothing_the_second_time(
    tmp_path: Path, store_url: str, clock: FixedClock
):
    csv_file = tmp_path / "links.csv"
    csv_file.write_text(LINKS)
    store = await Store.open(store_url, clock=clock)
    try:
        await store.upsert_card_meta(
            CardMeta(id_tag="CARD-GRACE", display_name="Grace Hopper", active=False)
        )
        rows = read_links(csv_file)
        first = await import_links(store, rows)
        second = await import_links(store, rows)
        assert (first.added, first.updated) == (["CARD-ADA", "CARD,COMMA"], ["CARD-GRACE"])
        assert second.line() == "0 added, 0 updated, 3 unchanged"
        grace = await store.get_card_meta("CARD-GRACE")
        # An empty cell keeps what the store had; the link and type are set.
        assert grace == CardMeta(
            id_tag="CARD-GRACE",
            display_name="Grace Hopper",
            tag_type="keytag",
            active=False,
            lago_customer_id="cust-grace",
        )
        comma = await store.get_card_meta("CARD,COMMA")
        assert comma.display_name == "Comma, Inc." and comma.active is True
    finally:
        await store.close()


def test_a_wrong_links_file_imports_nothing_and_names_every_line(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("CARD-1,c1\n,c2,No tag\nCARD-1,c3\nA,B,C,D,E\n")
    with pytest.raises(ConfigError) as info:
        read_links(bad)
    message = info.value.message
    assert "nothing imported" in message
    assert "line 2: no idTag" in message and "line 3" in message and "line 4" in message


def test_polaris_store_and_cards_commands(
    tmp_path: Path, fresh_store_url: str, capsys: pytest.CaptureFixture[str], monkeypatch
):
    """What a user types: init a new store, migrate again (nothing to do),
    copy a laptop into it twice, import links twice."""
    monkeypatch.setenv("POLARIS_CONFIG", str(tmp_path / "none.toml"))
    assert cli.main(["store", "init", "--url", fresh_store_url]) == 0
    assert f"schema 0 -> {SCHEMA_VERSION}" in capsys.readouterr().out
    assert cli.main(["store", "migrate", "--url", fresh_store_url]) == 0
    assert "nothing to do" in capsys.readouterr().out

    laptop = tmp_path / "laptop.sqlite"
    import asyncio

    asyncio.run(_laptop_history(laptop, FixedClock(NOW)))
    copy = ["store", "copy", "--from", f"sqlite:///{laptop}", "--to", fresh_store_url]
    assert cli.main(copy) == 0
    assert "charger_operation_log: 2 copied, 0 already there" in capsys.readouterr().out
    assert cli.main(copy) == 0
    assert "charger_operation_log: 0 copied, 2 already there" in capsys.readouterr().out

    links = tmp_path / "links.csv"
    links.write_text(LINKS)
    assert cli.main(["cards", "import-links", str(links), "--url", fresh_store_url]) == 0
    assert "card links 3 added, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert cli.main(["cards", "import-links", str(links), "--url", fresh_store_url]) == 0
    assert "card links 0 added, 0 updated, 3 unchanged" in capsys.readouterr().out

    links.write_text(",no tag\n")
    assert cli.main(["cards", "import-links", str(links), "--url", fresh_store_url]) == 2
    assert "polaris: " in capsys.readouterr().err


def test_a_postgres_console_refuses_an_unmigrated_store_in_one_line(
    tmp_path: Path, pg_empty_url: str, capsys: pytest.CaptureFixture[str], monkeypatch
):
    monkeypatch.setenv("POLARIS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr("polaris_tui.interactive.why_not_interactive", lambda: None)  # no TTY here
    code = cli.main(["--steve-url", "http://127.0.0.1:9/steve", "--store", pg_empty_url])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "run `polaris store migrate` first" in err[0], err


def test_a_console_refuses_a_newer_schema_in_one_line(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str], monkeypatch
):
    import asyncio

    from tests.pg import is_postgres

    async def from_the_future() -> None:
        store = await Store.open(store_url, clock=FixedClock(NOW))
        await store.close()
        if is_postgres(store_url):
            sql = f"INSERT INTO schema_migrations (version) VALUES ({SCHEMA_VERSION + 1})"
        else:
            sql = f"PRAGMA user_version = {SCHEMA_VERSION + 1}"
        await raw_rows(store_url, sql)

    asyncio.run(from_the_future())
    monkeypatch.setenv("POLARIS_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr("polaris_tui.interactive.why_not_interactive", lambda: None)  # no TTY here
    code = cli.main(["--steve-url", "http://127.0.0.1:9/steve", "--store", store_url])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "newer Polaris" in err[0] and "upgrade Polaris" in err[0], err
