"""The wire thread: HTTP exchanges run off the caller's event loop, and
cancelling, failing and forking behave as if they had not."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from polaris_tui.services.wire_thread import WIRE, WireThread


async def test_an_exchange_runs_on_the_wire_thread_not_the_callers() -> None:
    async def where() -> str:
        return threading.current_thread().name

    assert await WIRE.run(where()) == "polaris-wire"
    assert threading.current_thread().name != "polaris-wire"


async def test_an_error_reaches_the_caller_as_raised() -> None:
    async def fails() -> None:
        raise ValueError("bad body")

    with pytest.raises(ValueError, match="bad body"):
        await WIRE.run(fails())


async def test_cancelling_the_caller_cancels_the_exchange() -> None:
    started, ended = threading.Event(), threading.Event()

    async def hangs() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            ended.set()

    caller = asyncio.create_task(WIRE.run(hangs()))
    await asyncio.to_thread(started.wait, 30)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    # The exchange on the wire loop was cancelled too (nothing left hanging).
    assert await asyncio.to_thread(ended.wait, 30)


async def test_a_call_from_the_wire_loop_itself_runs_in_place() -> None:
    wire = WireThread("polaris-wire-test")

    async def inner() -> str:
        return threading.current_thread().name

    async def outer() -> str:
        return await wire.run(inner())  # would deadlock if it waited for itself

    assert await wire.run(outer()) == "polaris-wire-test"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
async def test_a_forked_child_starts_its_own_wire_thread() -> None:
    async def answer() -> int:
        return 42

    assert await WIRE.run(answer()) == 42  # the parent's thread is running
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only its exit status speaks
        code = 1
        try:
            result = asyncio.run(asyncio.wait_for(WIRE.run(answer()), 30))
            os.write(write, str(result).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        got = await asyncio.to_thread(os.read, read, 64)
    finally:
        os.close(read)
        _, status = await asyncio.to_thread(os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert got == b"42"
