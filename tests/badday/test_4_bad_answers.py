"""Bad day 4: SteVe (and Lago) answer badly.

5xx, 401/403, timeouts, truncated or malformed JSON, unknown fields, wrong
types, very large payloads: each ends as a clear state with a plain title
(the banner line an operator reads), the last good data stays on screen,
the App stays up, and the store is neither corrupted nor overwritten with
garbage. A hypothesis test then feeds generated SteVe answers through the
real client and the real poller: only domain errors may come out of the
client, nothing may come out of a poll cycle, and the snapshot written from
whatever was accepted must load again.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polaris_tui.app import make_app
from polaris_tui.models import ConnectionState, SourceName
from polaris_tui.models.errors import PolarisError
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.lago_client import LagoClient
from polaris_tui.services.poller import LivePoller
from polaris_tui.services.settings import Settings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.store import Store
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import settle

from .test_1_start_during_outage import banner_text

CB = "CP-ALPHA-01"

GOOD_BOX = {
    "chargeBoxId": CB,
    "chargeBoxPk": 1,
    "description": "Main St depot, bay 1",
    "ocppProtocol": "ocpp1.6J",
    "lastHeartbeatTimestamp": "2026-11-22T09:59:30.000Z",
    "online": True,
    "connectors": [
        {
            "connectorId": 1,
            "status": "Charging",
            "errorCode": "NoError",
            "timestamp": "2026-11-22T09:30:00.000Z",
        }
    ],
}
GOOD_TX = {
    "id": 1001,
    "chargeBoxId": CB,
    "chargeBoxPk": 1,
    "connectorId": 1,
    "ocppIdTag": "CARD-HEALTHY",
    "ocppTagPk": 1,
    "startTimestamp": "2026-11-22T09:30:00.000Z",
    "startValue": "1000",
}
GOOD_TAG = {
    "ocppTagPk": 1,
    "idTag": "CARD-HEALTHY",
    "maxActiveTransactionCount": 1,
    "activeTransactionCount": 1,
    "inTransaction": True,
    "blocked": False,
}
GOOD = {"/chargeBoxes": [GOOD_BOX], "/transactions": [GOOD_TX], "/ocppTags": [GOOD_TAG]}

Answer = Callable[[httpx.Request], httpx.Response]


def endpoint(request: httpx.Request) -> str:
    return request.url.path.removeprefix("/steve/api/v1")


def good(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=GOOD[endpoint(request)])


class Switchable:
    """A SteVe whose answers a test can switch between cycles."""

    def __init__(self) -> None:
        self.answer: Answer = good

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return self.answer(request)


def status(code: int, body: Any = None) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        if body is None:
            return httpx.Response(code, text=f"<html><body><h1>{code}</h1>nginx</body></html>")
        return httpx.Response(code, json=body)

    return answer


def raw(data: bytes, headers: dict[str, str] | None = None) -> Answer:
    return lambda request: httpx.Response(
        200, content=data, headers=headers or {"Content-Type": "application/json"}
    )


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def per_endpoint(change: Callable[[str, Any], Any]) -> Answer:
    """A good answer passed through ``change(endpoint, payload)``."""

    def answer(request: httpx.Request) -> httpx.Response:
        payload = change(endpoint(request), json.loads(json.dumps(GOOD[endpoint(request)])))
        # json.dumps escapes a lone surrogate as \\ud800: valid JSON, as Jackson would send it.
        return httpx.Response(
            200, content=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )

    return answer


def huge(request: httpx.Request) -> httpx.Response:
    """A 51 MB answer with no Content-Length, produced lazily."""

    async def chunks():
        for _ in range(51):
            yield b" " * (1024 * 1024)

    return httpx.Response(200, content=chunks(), headers={"Content-Type": "application/json"})


def with_unknown_fields(path: str, payload: Any) -> Any:
    for item in payload:
        item["someFieldFromANewerSteve"] = {"nested": [1, 2, 3]}
        for conn in item.get("connectors", []):
            conn["evseId"] = "DE*ABC*E1"
    return payload


def with_wrong_types(path: str, payload: Any) -> Any:
    if path == "/chargeBoxes":
        payload[0]["connectors"][0]["connectorId"] = "one"
    elif path == "/transactions":
        payload[0]["startTimestamp"] = {"when": "soon"}
    else:
        payload[0]["maxActiveTransactionCount"] = [1]
    return payload


BAD_ANSWERS: dict[str, tuple[Answer, ConnectionState, str]] = {
    "503 from a proxy": (status(503), ConnectionState.UNREACHABLE, "SteVe refused the request"),
    "500 with SteVe's body": (
        status(
            500,
            {"status": 500, "error": "Internal Server Error", "message": "NullPointerException"},
        ),
        ConnectionState.UNREACHABLE,
        "SteVe refused the request",
    ),
    "401": (
        status(401, {"status": 401, "message": "Bad credentials"}),
        ConnectionState.UNREACHABLE,
        "SteVe refused the credentials",
    ),
    "403": (status(403), ConnectionState.UNREACHABLE, "SteVe refused the credentials"),
    "read timeout": (timeout, ConnectionState.UNREACHABLE, "SteVe is not answering"),
    "truncated JSON": (
        raw(json.dumps([GOOD_BOX]).encode()[:57]),
        ConnectionState.UNREACHABLE,
        "SteVe sent an answer Polaris cannot read",
    ),
    "HTML with 200": (
        raw(b"<html>login</html>", {"Content-Type": "text/html"}),
        ConnectionState.UNREACHABLE,
        "SteVe sent an answer Polaris cannot read",
    ),
    "wrong types": (
        per_endpoint(with_wrong_types),
        ConnectionState.UNREACHABLE,
        "SteVe sent an answer Polaris cannot read",
    ),
    "a JSON object, not a list": (
        raw(b'{"content": []}'),
        ConnectionState.UNREACHABLE,
        "SteVe sent an answer Polaris cannot read",
    ),
    "over 50 MB": (huge, ConnectionState.UNREACHABLE, "SteVe sent an answer Polaris cannot read"),
    "broken gzip": (
        raw(
            b"\x1f\x8b not really gzip",
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
        ConnectionState.UNREACHABLE,
        "SteVe sent an answer Polaris cannot read",
    ),
    "a lone surrogate in a description": (
        per_endpoint(
            lambda path, p: (
                [{**p[0], "description": "bad \ud800 text"}] if path == "/chargeBoxes" else p
            )
        ),
        ConnectionState.LIVE,
        "",
    ),
    "unknown fields": (per_endpoint(with_unknown_fields), ConnectionState.LIVE, ""),
}


def settings_in(tmp_path: Path) -> Settings:
    return Settings(
        steve={
            "url": "http://steve.test/steve",
            "api_password": "pw",
            "status_source": "chargeboxes-api",
        },
        store={"path": tmp_path / "polaris.sqlite"},
        poll={"interval_seconds": 3600},
        operator={"name": "ana", "admins": ["ana"]},
    )


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("name", list(BAD_ANSWERS))
async def test_a_bad_answer_is_a_clear_state_and_keeps_the_last_data(
    name: str, tmp_path: Path
) -> None:
    answer, expected, title = BAD_ANSWERS[name]
    steve = Switchable()
    settings = settings_in(tmp_path)
    services = await PolarisServices.open(
        settings, clock=FixedClock(FROZEN_NOW), steve_transport=httpx.MockTransport(steve)
    )
    services.steve._retry_delays = (0.0, 0.0)  # no real pauses between read attempts
    try:
        await services.poller.refresh_now()
        assert services.source_state(SourceName.STEVE).state == ConnectionState.LIVE
        await services.poller._save_snapshot(force=True)

        steve.answer = answer
        services.clock.advance(60)  # type: ignore[attr-defined]
        await services.poller.refresh_now()
        state = services.source_state(SourceName.STEVE)
        assert state.state == expected, (state.error_title, state.error_message)
        assert (state.error_title or "") == title
        if title:
            assert state.last_ok == FROZEN_NOW, "the last good data keeps its time"
            assert [row.charge_box_id for row in services.fleet.rows()] == [CB], (
                "the last data stays"
            )
            assert "<html" not in (state.error_message or "") and "nginx" not in (
                state.error_message or ""
            )
        await services.poller._save_snapshot(force=True)
    finally:
        await services.close()

    assert integrity(settings.store.path) == "ok"
    store = await Store.open(settings.store.path, clock=FixedClock(FROZEN_NOW))
    try:
        snapshot = await store.load_snapshot()
    finally:
        await store.close()
    assert snapshot is not None and [box.charge_box_id for box in snapshot.chargers] == [CB]
    expected_at = (
        FROZEN_NOW + timedelta(seconds=60) if expected == ConnectionState.LIVE else FROZEN_NOW
    )
    assert snapshot.fetched_at == expected_at, "a bad answer never replaces the saved data"


@pytest.mark.parametrize(
    "name", ["500 with SteVe's body", "truncated JSON", "over 50 MB", "broken gzip"]
)
def test_the_app_shows_a_clear_notice_and_stays_up(name: str, tmp_path: Path) -> None:
    answer, _, title = BAD_ANSWERS[name]
    steve = Switchable()
    settings = settings_in(tmp_path)

    async def factory(settings: Settings, *, clock: Any) -> PolarisServices:
        services = await PolarisServices.open(
            settings, clock=clock, steve_transport=httpx.MockTransport(steve)
        )
        services.steve._retry_delays = (0.0, 0.0)
        return services

    app = make_app(settings, clock=FixedClock(FROZEN_NOW), services_factory=factory)

    async def run() -> None:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await settle(pilot)
            steve.answer = answer
            app.action_refresh_now()
            await settle(pilot)
            text = banner_text(app)
            assert "SteVe is unreachable" in text and title in text, text
            assert app.is_running
            assert CB in app.screen.query_one("FleetTable").keys
            assert not [n for n in app._notifications if "Unexpected" in (n.title or "")]

    asyncio.run(run())


async def test_a_large_valid_answer_is_read(tmp_path: Path) -> None:
    """Big is not bad: 5,000 stations with long descriptions (about 6 MB) are read."""
    boxes = [
        {**GOOD_BOX, "chargeBoxId": f"CP-{i:05d}", "description": "x" * 1000} for i in range(5000)
    ]
    payloads = {**GOOD, "/chargeBoxes": boxes}
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json=payloads[endpoint(request)])
    )
    client = SteveClient(settings_in(tmp_path).steve, transport=transport)
    try:
        assert len(await client.charge_boxes()) == 5000
    finally:
        await client.close()


async def test_lago_bad_answers_are_lago_errors(tmp_path: Path) -> None:
    """The same for Lago: every bad answer is a Lago error, never anything else."""
    answers = [
        status(500),
        status(401),
        timeout,
        raw(b'{"customers": [{"lago_id": 1'),
        raw(b"\x1f\x8b??", {"Content-Encoding": "gzip"}),
        huge,
        raw(
            b'{"customers": [{"lago_id": "l", "external_id": "c", "name": "\\ud800"}], "meta": {}}'
        ),
    ]
    for answer in answers:
        client = LagoClient(
            Settings(lago={"url": "http://lago.test", "api_key": "k"}).lago,
            transport=httpx.MockTransport(answer),
            retry_delays=(0.0, 0.0),
        )
        try:
            customers = await client.customers()
        except PolarisError:
            continue
        finally:
            await client.close()
        assert all(isinstance(c.name, str) for c in customers)
        json.dumps([c.model_dump(mode="json") for c in customers]).encode("utf-8")


# -- generated answers ------------------------------------------------------------------

SURROGATE_TEXT = st.text(alphabet=st.characters(codec=None), max_size=20)
WILD_TIMES = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]),
)
TIME_TEXT = st.one_of(
    WILD_TIMES.map(lambda d: d.isoformat()),
    st.sampled_from(
        ["Today at 09:58", "Yesterday at 23:10", "2026-11-20 at 14:30", "", "24:99", "Z"]
    ),
    SURROGATE_TEXT,
)
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | SURROGATE_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(SURROGATE_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)


def maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A right-typed value most of the time, anything JSON sometimes."""
    return st.one_of(value, value, value, ANY_JSON)


CONNECTOR = st.fixed_dictionaries(
    {
        "connectorId": maybe(st.integers(min_value=-5, max_value=2**40)),
        "status": maybe(
            st.sampled_from(["Available", "Charging", "Faulted", "SuspendedEV", "Unavailable"])
            | SURROGATE_TEXT
        ),
        "errorCode": maybe(SURROGATE_TEXT),
        "timestamp": maybe(TIME_TEXT),
        "info": maybe(SURROGATE_TEXT | st.none()),
    }
)
BOX = st.fixed_dictionaries(
    {
        "chargeBoxId": maybe(st.sampled_from([CB, "CP-B", "CP-C"]) | SURROGATE_TEXT),
        "chargeBoxPk": maybe(st.integers()),
        "description": maybe(SURROGATE_TEXT | st.none()),
        "lastHeartbeatTimestamp": maybe(TIME_TEXT | st.none()),
        "online": maybe(st.booleans() | st.none()),
        "connectors": maybe(st.lists(CONNECTOR, max_size=3) | st.none()),
    }
)
TX = st.fixed_dictionaries(
    {
        "id": maybe(st.integers(min_value=-2, max_value=2**40)),
        "chargeBoxId": maybe(st.sampled_from([CB, "CP-B", "CP-GONE"]) | SURROGATE_TEXT),
        "connectorId": maybe(st.integers(min_value=-1, max_value=5)),
        "ocppIdTag": maybe(SURROGATE_TEXT),
        "startTimestamp": maybe(TIME_TEXT),
        "startValue": maybe(st.sampled_from(["1000", "-1", "NaN", "1e308", "x"]) | st.none()),
        "stopTimestamp": maybe(st.none() | TIME_TEXT),
    }
)
TAG = st.fixed_dictionaries(
    {
        "ocppTagPk": maybe(st.integers()),
        "idTag": maybe(SURROGATE_TEXT),
        "parentIdTag": maybe(SURROGATE_TEXT | st.none()),
        "expiryDate": maybe(TIME_TEXT | st.none()),
        "maxActiveTransactionCount": maybe(st.integers(min_value=-2, max_value=3)),
        "blocked": maybe(st.booleans()),
    }
)
SHAPED = {
    "/chargeBoxes": st.lists(BOX, max_size=4),
    "/transactions": st.lists(TX, max_size=4),
    "/ocppTags": st.lists(TAG, max_size=4),
}


@st.composite
def steve_answer(draw: st.DrawFn, path: str) -> tuple[int, dict[str, str], bytes]:
    """One generated HTTP answer for ``path``: status, headers, body."""
    code = draw(st.sampled_from([200] * 6 + [204, 301, 400, 401, 403, 404, 500, 502, 503]))
    kind = draw(st.sampled_from(["shaped"] * 4 + ["any", "bytes", "truncated"]))
    if kind == "shaped":
        body = json.dumps(draw(SHAPED[path])).encode()
    elif kind == "any":
        body = json.dumps(draw(ANY_JSON)).encode()
    elif kind == "bytes":
        body = draw(st.binary(max_size=64))
    else:
        whole = json.dumps(draw(SHAPED[path])).encode()
        body = whole[: draw(st.integers(min_value=0, max_value=max(len(whole) - 1, 0)))]
    headers = {
        "Content-Type": draw(
            st.sampled_from(["application/json", "text/html", "application/json; charset=latin-1"])
        )
    }
    encoding = draw(
        st.sampled_from([None, None, None, "gzip", "deflate", "br", "identity", "x-unknown"])
    )
    if encoding:
        headers["Content-Encoding"] = encoding
    if code in (301, 302):
        headers["Location"] = draw(
            st.sampled_from(["/steve/manager/signin", "http://elsewhere/", "\x1b[2J"])
        )
    return code, headers, body


ANSWERS = st.fixed_dictionaries({path: steve_answer(path) for path in SHAPED})


def scripted(answers: dict[str, tuple[int, dict[str, str], bytes]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        code, headers, body = answers[endpoint(request)]
        return httpx.Response(code, headers=headers, content=body)

    return httpx.MockTransport(handler)


HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@HYPOTHESIS
@given(answers=ANSWERS)
def test_generated_answers_through_the_client_are_models_or_domain_errors(
    answers: dict[str, Any],
) -> None:
    async def run() -> None:
        client = SteveClient(
            Settings(steve={"url": "http://steve.test/steve", "api_password": "pw"}).steve,
            transport=scripted(answers),
            retry_delays=(),
            clock=FixedClock(FROZEN_NOW),
        )
        try:
            for call in (
                client.charge_boxes,
                client.list_tags,
                lambda: client.list_transactions(type="ACTIVE"),
            ):
                try:
                    result = await call()
                except PolarisError as error:
                    assert error.title and isinstance(error.message, str)
                    error.message.encode("utf-8")  # showable and loggable as it is
                else:
                    assert isinstance(result, list)
                    json.dumps([item.model_dump(mode="json") for item in result]).encode("utf-8")
        finally:
            await client.close()

    asyncio.run(run())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@pytest.mark.slow
@given(first=ANSWERS, second=ANSWERS)
def test_generated_answers_through_the_poller_never_escape_and_the_snapshot_loads(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    async def run(folder: Path) -> None:
        settings = settings_in(folder)
        clock = FixedClock(FROZEN_NOW)
        store = await Store.open(settings.store.path, clock=clock)
        events: list[Any] = []
        try:
            for answers in (first, second):
                client = SteveClient(
                    settings.steve, transport=scripted(answers), retry_delays=(), clock=clock
                )
                poller = LivePoller(client, None, store, clock, settings, events.append)
                try:
                    await poller.load_snapshot()
                    await poller.refresh_now()  # never raises
                    state = poller.state(SourceName.STEVE)
                    assert state.state in (
                        ConnectionState.LIVE,
                        ConnectionState.DEGRADED,
                        ConnectionState.UNREACHABLE,
                    )
                    assert state.error_title != "Internal error", state.error_message
                    for row in poller.rows():
                        row.model_dump_json()
                    await poller._save_snapshot(force=True)
                finally:
                    await client.close()
                clock.advance(60)
            snapshot = await store.load_snapshot()
            if snapshot is not None:
                snapshot.model_dump_json()
        finally:
            await store.close()
        assert integrity(settings.store.path) == "ok"

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(Path(folder)))
