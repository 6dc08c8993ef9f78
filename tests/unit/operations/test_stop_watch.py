"""The RemoteStop follow-up: closed, still open, the injected clock, SteVe
errors, and resuming a watch a closed process left."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from polaris_tui.models import (
    OperationStatus,
    StopFollowup,
)
from polaris_tui.models.errors import (
    SteveUnreachable,
)
from polaris_tui.store import Store
from tests.unit.operations.support import (
    NOW,
    accepted,
    make_service,
    stop,
    tx,
)

# -- RemoteStop followup -------------------------------------------------


async def test_followup_records_when_the_session_closed(service, steve, events):
    closed_at = NOW + timedelta(seconds=20)
    steve.details = [tx(), tx(), tx(stopped=closed_at)]
    entry = await stop(service)
    done = await asyncio.wait_for(service.watcher(entry.id), 5)
    assert done.followup == StopFollowup.CLOSED and done.followup_at == closed_at
    assert events[-1].entry.followup == StopFollowup.CLOSED


async def test_followup_flags_accepted_but_still_open(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, followup=0.2)
    try:
        steve.details = [tx()]
        entry = await stop(svc)
        done = await asyncio.wait_for(svc.watcher(entry.id), 5)
        assert done.followup == StopFollowup.STILL_OPEN
        assert done.status == OperationStatus.SUBMITTED and done.result["outcome"] == "accepted"
        assert steve.detail_calls >= 2
    finally:
        await svc.close()


async def test_followup_deadline_follows_the_injected_clock(steve, store, clock, events):
    svc = make_service(steve, store, clock, events, followup=120)
    try:
        steve.details = [tx()]
        entry = await stop(svc)
        await asyncio.sleep(0.05)
        assert not svc.watcher(entry.id).done()
        clock.advance(121)
        done = await asyncio.wait_for(svc.watcher(entry.id), 5)
        assert done.followup == StopFollowup.STILL_OPEN and done.followup_at == clock.now()
    finally:
        await svc.close()


async def test_followup_keeps_going_through_steve_errors(service, steve):
    steve.details = [SteveUnreachable("down"), tx(stopped=NOW)]
    entry = await stop(service)
    done = await asyncio.wait_for(service.watcher(entry.id), 5)
    assert done.followup == StopFollowup.CLOSED


async def test_rejected_stop_is_not_watched(service, steve):
    steve.answer = accepted("Rejected")
    entry = await stop(service)
    assert entry.followup is None and service.watcher(entry.id) is None


async def test_a_watch_left_by_a_closed_process_is_resumed(tmp_path, steve, clock, events):
    path = tmp_path / "resume.sqlite"
    first_store = await Store.open(path, clock=clock)
    first = make_service(steve, first_store, clock, events, followup=60)
    steve.details = [tx()]
    entry = await stop(first)
    await first.close()  # watcher cancelled: the row stays "watching"
    await first_store.close()

    store = await Store.open(path, clock=clock)
    svc = make_service(steve, store, clock, events, followup=60)
    try:
        assert (await store.get_operation(entry.id)).followup == StopFollowup.WATCHING
        steve.details = [tx(stopped=NOW + timedelta(seconds=5))]
        assert await svc.resume_watchers() == [entry.id]
        done = await asyncio.wait_for(svc.watcher(entry.id), 5)
        assert done.followup == StopFollowup.CLOSED
    finally:
        await svc.close()
        await store.close()
