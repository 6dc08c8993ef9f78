"""The meter sampler when SteVe stops answering after the cycle's lists came."""

from __future__ import annotations

from polaris_tui.models import ConnectionState, SourceName
from polaris_tui.models.errors import SteveNotAnswering
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.meter_schedule import meter_reads_per_cycle
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.settings import PollSettings, Settings
from polaris_tui.services.steve_wire import KEEPALIVE_CONNECTIONS
from tests.fakes.steve import FakeSteve
from tests.unit.test_fleet_fakes import NOW, FakeLago, FakeStore, demo_data
from tests.unit.test_poller import big_fleet


async def test_a_hung_steve_is_asked_only_as_many_reads_as_are_in_flight():
    boxes, active, meters = big_fleet(100)
    steve = FakeSteve(chargers=boxes, active=active, meters=meters)
    steve.fail["transaction_details"] = SteveNotAnswering("no answer within 2 s")
    _, _, _, customers, card_meta, inventory = demo_data()
    settings = Settings(poll=PollSettings())
    poller = LivePoller(
        steve,
        FakeLago(customers),
        FakeStore(card_meta, inventory),
        FixedClock(NOW),
        settings,
        [].append,
    )
    assert meter_reads_per_cycle(settings.poll) > KEEPALIVE_CONNECTIONS
    await poller.refresh_now()
    # The reads in flight found SteVe not answering; the others were not sent.
    assert steve.counts()["transaction_details"] <= KEEPALIVE_CONNECTIONS
    state = poller.state(SourceName.STEVE)
    assert state.state == ConnectionState.DEGRADED
    assert state.error_title == SteveNotAnswering.title
