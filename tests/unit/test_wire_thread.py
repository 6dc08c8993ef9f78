"""The wire thread: HTTP exchanges run off the caller's event loop, and
cancelling, failing and forking behave as if they had not."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
import threading

import pytest

from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.services.wire_thread import WIRE, WireThread

ASKED = contextvars.ContextVar[str | None]("ASKED", default=None)


async def test_an_exchange_runs_on_the_wire_thread_not_the_callers() -> None:
    async def where() -> str:
        return threading.current_thread().name

    assert await WIRE.run(where()) == "polaris-wire"
    assert threading.current_thread().name != "polaris-wire"


async def test_the_callers_context_goes_along() -> None:
    # The poller's short read timeout is a context variable (``polling()``).
    async def seen() -> str | None:
        return ASKED.get()

    token = ASKED.set("poll")
    try:
        assert await WIRE.run(seen()) == "poll"
    finally:
        ASKED.reset(token)
    assert await WIRE.run(seen()) is None


@pytest.mark.parametrize("client", [SteveClient, LagoClient])
def test_every_public_request_method_of_the_clients_runs_on_the_wire(client: type) -> None:
    # A method left on the caller's loop would share the client's pool,
    # caches and sign-in lock between two event loops.
    requests = [
        name
        for name, member in inspect.getmembers(client, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "run_here"
    ]
    assert requests  # the check sees the methods it is about
    assert [
        name for name in requests if not getattr(getattr(client, name), "__on_wire__", False)
    ] == []


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
