"""Files on a shared host (issue 16, item 5): under the usual umask 022 the
store, its WAL and SHM, its owner files and the log are private (0600 in 0700
folders); a group-shared store (``store.shared_group``) is 0660 with its
folder's group, and a second user of that group can write it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from polaris_tui.services.clock import FixedClock
from polaris_tui.store import Store
from polaris_tui.store.files import describe_mode

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
NOBODY = 65534


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


async def _store_with_wal(path: Path, **kw) -> Store:
    store = await Store.open(path, clock=FixedClock(NOW), **kw)
    await store.insert_operation(
        charge_box_id="CP-1",
        operation="RemoteStopTransaction",
        params={"transactionId": 1},
        requested_by="ana",
        dry_run=False,
        request_id="r1",
    )
    return store


async def test_a_new_store_and_its_files_are_private_under_umask_022(tmp_path: Path, umask_022):
    state = tmp_path / "home" / ".local" / "state" / "polaris"
    path = state / "polaris.sqlite"
    store = await _store_with_wal(path)
    try:
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        owners = path.with_name(path.name + "-owners")
        files += list(owners.glob("*.lock"))
        assert len(files) == 4, files
        assert {str(f.name): describe_mode(f) for f in files} == {
            str(f.name): "0600" for f in files
        }
        for folder in (state, state.parent, tmp_path / "home" / ".local", owners):
            assert describe_mode(folder) == "0700", folder
    finally:
        await store.close()


def test_the_log_files_are_private_under_umask_022(tmp_path: Path, umask_022):
    """The log, and each file the rotation creates, 0600 in a 0700 folder."""
    import logging

    from polaris_tui.logging_setup import HANDLER_NAME, setup_logging

    state = tmp_path / "state" / "polaris"
    log = setup_logging(state, max_bytes=200, backup_count=2)
    root = logging.getLogger()
    try:
        assert log == state / "polaris.log"
        assert describe_mode(log) == "0600" and describe_mode(state) == "0700"
        for i in range(20):
            logging.getLogger("polaris_tui.test").warning("line %d %s", i, "x" * 40)
        rotated = sorted(state.glob("polaris.log*"))
        assert len(rotated) == 3, rotated  # the log and two rolled-over files
        assert {f.name: describe_mode(f) for f in rotated} == {f.name: "0600" for f in rotated}
    finally:
        for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(handler)
            handler.close()


@pytest.fixture
def group_folder() -> Iterator[tuple[Path, int]]:
    """A folder set up the way the README says: setgid 2770, owned by a group.

    As root the group is ``nogroup`` (65534), so a second user can be tried;
    otherwise the caller's own group."""
    folder = Path(tempfile.mkdtemp(prefix="polaris-shared-"))
    gid = NOBODY if os.geteuid() == 0 else os.getegid()
    os.chown(folder, -1, gid)
    os.chmod(folder, 0o2770)
    try:
        yield folder, gid
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def test_a_group_shared_store_is_0660_with_the_folders_group(group_folder, umask_022):
    folder, gid = group_folder
    path = folder / "team.sqlite"
    store = await _store_with_wal(path, shared_group=True)
    try:
        owners = path.with_name(path.name + "-owners")
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), *owners.glob("*.lock")]
        assert len(files) == 4
        for f in files:
            assert describe_mode(f) == "0660", f
            assert f.stat().st_gid == gid, f
        assert describe_mode(owners) == "2770" and owners.stat().st_gid == gid
    finally:
        await store.close()


def _write_as(uid: int, gid: int, path: Path) -> int:
    """In a forked child running as another user of the group: one write."""
    pid = os.fork()
    if pid == 0:  # the child: no asyncio, no exec; exits with 0 on success
        code = 1
        try:
            os.setgroups([gid])
            os.setgid(gid)
            os.setuid(uid)
            conn = sqlite3.connect(path, timeout=5)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO card_meta (id_tag, display_name, active) VALUES ('SECOND', 'b', 1)"
            )
            conn.execute("COMMIT")
            conn.close()
            code = 0
        except BaseException as exc:  # reported through the exit status
            os.write(2, f"second user: {exc}\n".encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.skipif(
    os.geteuid() != 0, reason="becoming a second OS user needs root (CI runs as root)"
)
async def test_a_second_user_of_the_group_can_write_the_shared_store(group_folder, umask_022):
    folder, gid = group_folder
    path = folder / "team.sqlite"
    store = await _store_with_wal(path, shared_group=True)
    try:
        assert _write_as(NOBODY, gid, path) == 0
        meta = await store.get_card_meta("SECOND")
        assert meta is not None and meta.display_name == "b"
    finally:
        await store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o660
