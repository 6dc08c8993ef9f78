"""Bad day 8: after a session full of errors, the credentials are nowhere.

Distinctive secrets are configured; SteVe and Lago then answer with errors
that echo them back (in JSON messages, in station answers, as Basic/Bearer
header values, inside URLs, URL-encoded and base64-encoded). After the
session the SteVe and Lago credentials must appear in none of: the log, the
store file (and its WAL), what the screens showed, the notifications, the
exception texts, the operation and audit rows; nor, for a real ``polaris``
on a pseudo-terminal with a wrong password (401s) and then 5xx and an
outage, in its terminal output, log, store or owner files. The committed
SVG snapshots under ``tests/**/__snapshots__`` must not hold a credential
either (neither these nor the stand-in's demo ones).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from chargesim.options import LAGO_KEY, STEVE_API_PASSWORD, WEB_PASSWORD
from polaris_tui.app import make_app
from polaris_tui.models import CardEdit, CardEditKind
from polaris_tui.models.errors import PolarisError
from polaris_tui.services.clock import FixedClock
from polaris_tui.services.core import PolarisServices
from polaris_tui.services.settings import Settings, os_login
from tests.conftest import FROZEN_NOW
from tests.functional.conftest import screen_text, settle
from tests.unit.helpers import confirmed

from .ptyrun import REPO, WAIT, run_polaris
from .test_4_bad_answers import GOOD_BOX, GOOD_TAG, GOOD_TX

STEVE_PW = "s3cr3t-steve-XYZ"
WEB_PW = "s3cr3t-web-XYZ"
LAGO_KEY_SECRET = "s3cr3t-lago-XYZ"
WRONG_PW = "s3cr3t-wrong-XYZ"
USER = "ops"
"""Four bytes with the colon: the password sits mid-group in Basic auth's base64."""


def forms(secret: str, user: str = USER) -> set[str]:
    """Every way a secret can be written down: raw, URL-encoded, base64, and
    base64 of the ``user:secret`` pair that Basic auth sends."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(f"{user}:{secret}".encode()).decode(),
    }


def leaks(blob: str | bytes, secrets: list[str]) -> list[str]:
    text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
    return sorted({form for secret in secrets for form in forms(secret) if form in text})


def echo(secret: str) -> str:
    """An error text that repeats a secret in every form."""
    pair = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    return (
        f"failed for {USER}:{secret} (Authorization: Basic {pair}; raw {pair}) "
        f"at http://{USER}:{secret}@steve.test/steve, encoded {quote(secret, safe='')}, "
        f"b64 {base64.b64encode(secret.encode()).decode()}"
    )


class EchoingSteve:
    """A SteVe that works for one poll, then answers every request with an
    error (or a station answer) that repeats the API password."""

    def __init__(self) -> None:
        self.echoing = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/steve/api/v1")
        if request.method == "POST" and path.startswith("/operations/"):
            name = path.rsplit("/", 1)[-1]
            if name == "RemoteStopTransaction":
                return httpx.Response(
                    200,
                    json={
                        "taskId": 1,
                        "taskFinished": True,
                        "successResponses": [],
                        "errorResponses": [],
                        "exceptions": [
                            {
                                "chargeBoxId": GOOD_BOX["chargeBoxId"],
                                "exceptionMessage": echo(STEVE_PW),
                            }
                        ],
                    },
                )
            if name == "UnlockConnector":
                return httpx.Response(
                    200,
                    json={
                        "taskId": 2,
                        "taskFinished": True,
                        "successResponses": [],
                        "exceptions": [],
                        "errorResponses": [
                            {
                                "chargeBoxId": GOOD_BOX["chargeBoxId"],
                                "errorCode": "GenericError",
                                "errorDescription": echo(STEVE_PW),
                                "errorDetails": {"pw": STEVE_PW},
                            }
                        ],
                    },
                )
            if name == "GetConfiguration":
                return httpx.Response(
                    200,
                    json={
                        "taskId": 3,
                        "taskFinished": True,
                        "errorResponses": [],
                        "exceptions": [],
                        "successResponses": [
                            {
                                "chargeBoxId": GOOD_BOX["chargeBoxId"],
                                "response": {
                                    "configurationKey": [
                                        {"key": "AuthorizationKey", "value": STEVE_PW}
                                    ]
                                },
                            }
                        ],
                    },
                )
            return httpx.Response(500, json={"status": 500, "message": echo(STEVE_PW)})
        if not self.echoing and request.method == "GET":
            payloads = {
                "/chargeBoxes": [GOOD_BOX],
                "/transactions": [GOOD_TX],
                "/ocppTags": [GOOD_TAG],
            }
            if path in payloads:
                return httpx.Response(200, json=payloads[path])
            if path.startswith("/transactions/"):
                return httpx.Response(200, json={"transaction": GOOD_TX, "values": []})
        if path == "/transactions":
            return httpx.Response(401, json={"status": 401, "message": echo(STEVE_PW)})
        if path == "/chargeBoxes":
            return httpx.Response(
                302, headers={"Location": f"http://{USER}:{STEVE_PW}@login.test/?pw={STEVE_PW}"}
            )
        return httpx.Response(500, json={"status": 500, "message": echo(STEVE_PW)})


def echoing_lago(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        500,
        json={"status": 500, "error": echo(LAGO_KEY_SECRET), "code": f"Bearer {LAGO_KEY_SECRET}"},
    )


async def test_a_session_of_echoed_secrets_leaves_no_trace(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [STEVE_PW, WEB_PW, LAGO_KEY_SECRET]
    settings = Settings(
        steve={
            "url": "http://steve.test/steve",
            "api_user": USER,
            "api_password": STEVE_PW,
            "web_password": WEB_PW,
            "status_source": "chargeboxes-api",
        },
        lago={"url": "http://lago.test", "api_key": LAGO_KEY_SECRET},
        store={"path": tmp_path / "polaris.sqlite"},
        poll={"interval_seconds": 3600, "lago_interval_seconds": 3600, "stop_followup_seconds": 1},
        operator={"name": "ana", "admins": ["ana"]},
    )
    steve = EchoingSteve()

    async def factory(settings: Settings, *, clock: Any) -> PolarisServices:
        services = await PolarisServices.open(
            settings,
            clock=clock,
            steve_transport=httpx.MockTransport(steve),
            lago_transport=httpx.MockTransport(echoing_lago),
        )
        services.steve._retry_delays = (0.0, 0.0)
        services.lago._retry_delays = (0.0, 0.0)
        services.operations.watch_interval = 0.05
        return services

    app = make_app(settings, clock=FixedClock(FROZEN_NOW), services_factory=factory)
    shown: list[str] = []
    texts: list[str] = []
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await settle(pilot)
        services = app.services
        steve.echoing = True
        await services.poller.refresh_now()
        await settle(pilot)
        shown.append(screen_text(app))
        cb = GOOD_BOX["chargeBoxId"]
        for operation, params in (
            ("RemoteStopTransaction", {"transactionId": GOOD_TX["id"]}),
            ("UnlockConnector", {"connectorId": 1}),
            ("GetConfiguration", {}),
            ("TriggerMessage", {"triggerMessage": "StatusNotification"}),
        ):
            entry = await services.operations.submit(
                cb,
                operation,
                params,
                confirmation=confirmed(services.operations, cb, operation, params),
                dry_run=False,
                request_id=uuid.uuid4().hex,
            )
            texts += [str(entry.model_dump()), str(entry.error_message), str(entry.result)]
            # A follow-up of an accepted RemoteStop reads the echoing
            # transaction and writes to the log row: that row is checked too.
            watcher = services.operations.watcher(entry.id)
            if watcher is not None:
                followed = await asyncio.wait_for(watcher, 30)
                texts.append(str(followed.model_dump()))
        try:
            audit = await services.cards.edit(GOOD_TAG["idTag"], CardEdit(kind=CardEditKind.BLOCK))
            texts.append(str(audit.model_dump()))
        except PolarisError as error:
            texts.append(str(error))
        for state in (services.source_state(s) for s in ("steve", "lago")):
            texts.append(str(state.model_dump()))
        for opener in (
            lambda: app.open_charger(cb),
            lambda: app.open_operation_log(),
            lambda: app.open_cards(),
            lambda: app.open_card(GOOD_TAG["idTag"]),
            lambda: app.open_audit_log(),
        ):
            opener()
            await settle(pilot)
            shown.append(screen_text(app))
        app.show_error(RuntimeError(f"unexpected with {STEVE_PW}"))  # the last-resort notice
        await settle(pilot)
        shown.append(screen_text(app))
        shown += [f"{n.title} {n.message}" for n in app._notifications]
    store_bytes = b"".join(
        Path(f"{settings.store.path}{suffix}").read_bytes()
        for suffix in ("", "-wal")
        if Path(f"{settings.store.path}{suffix}").exists()
    )
    log_text = "\n".join(
        record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        for record in caplog.records
    )
    assert "GetConfiguration" in "".join(texts), "the session really happened"
    assert leaks(log_text, secrets) == [], "log"
    assert leaks(store_bytes, secrets) == [], "store file"
    assert leaks("\n".join(shown), secrets) == [], "screens and notifications"
    assert leaks("\n".join(texts), secrets) == [], "rows, states and exception texts"


def test_a_real_session_with_401s_5xx_and_an_outage_leaves_no_trace(
    sim_factory: Any, tmp_path: Path
) -> None:
    sim = sim_factory(steve_password=STEVE_PW, web_password=WEB_PW, lago_key=LAGO_KEY_SECRET)
    home = tmp_path / "home"
    state = tmp_path / "state"
    config = tmp_path / "config.toml"
    store = state / "polaris.sqlite"

    def write_config(api_password: str) -> None:
        config.write_text(
            f'[steve]\nurl = "{sim.steve_url}"\napi_password = "{api_password}"\nweb_password = "{WEB_PW}"\n'
            f'[lago]\nurl = "{sim.lago_url}"\napi_key = "{LAGO_KEY_SECRET}"\n'
            f'[store]\npath = "{store}"\n[poll]\ninterval_seconds = 0.3\nmax_backoff_seconds = 1.0\n'
            f'[operator]\nadmins = ["{os_login()}"]\n'
        )
        os.chmod(config, 0o600)

    outputs: list[bytes] = []
    # First with a wrong password: SteVe answers 401 to everything.
    write_config(WRONG_PW)
    with run_polaris(["--config", str(config)], home=home) as polaris:
        assert polaris.wait_for("SteVe refused the credentials", timeout=WAIT), polaris.output[
            -3000:
        ]
        polaris.type("q")
        assert polaris.wait(WAIT) == 0
        outputs.append(polaris.output)
    # Then the right one, through 5xx and an outage.
    write_config(STEVE_PW)
    with run_polaris(["--config", str(config)], home=home) as polaris:
        assert polaris.wait_for("CP-ALPHA-01", timeout=WAIT)
        polaris.type("enter")
        assert polaris.wait_for("Live status", timeout=WAIT)
        sim.fault("steve_5xx:500")
        assert polaris.wait_for("SteVe is unreachable", timeout=WAIT)
        sim.clear_fault("steve_5xx")
        sim.fault("steve_down")
        mark = polaris.mark()
        assert polaris.wait_for("SteVe is unreachable", timeout=WAIT, after=mark)
        sim.clear_fault("steve_down")
        polaris.type("escape")  # an escape and a key in one read are alt+key: wait between
        assert polaris.wait_screen(lambda screen: "Live status" not in screen)
        polaris.type("l")
        assert polaris.wait_for("Operator", timeout=WAIT, after=mark)  # the operation log's filters
        polaris.hangup()
        assert polaris.wait(WAIT) == 0
        outputs.append(polaris.output)
    secrets = [STEVE_PW, WEB_PW, LAGO_KEY_SECRET, WRONG_PW]
    assert leaks(b"".join(outputs), secrets) == [], "terminal output"
    for path in state.rglob("*"):
        if path.is_file():
            assert leaks(path.read_bytes(), secrets) == [], path.name
        assert leaks(path.name, secrets) == [], path


def test_the_log_file_formatter_redacts_tracebacks_too() -> None:
    """The CLI's log formatter: a bug's exception text with a secret in it."""
    from polaris_tui.cli import LOG_FORMAT
    from polaris_tui.services.redact import RedactingFormatter

    try:
        raise RuntimeError(echo(STEVE_PW))
    except RuntimeError:
        record = logging.getLogger("polaris_tui").makeRecord(
            "polaris_tui", logging.ERROR, __file__, 1, "boom with %s", (STEVE_PW,), sys.exc_info()
        )
    line = RedactingFormatter(LOG_FORMAT, secrets=[STEVE_PW]).format(record)
    assert "boom with ***" in line and "Traceback" in line
    assert leaks(line, [STEVE_PW]) == []


def test_no_credential_in_the_committed_snapshots() -> None:
    svgs = list((REPO / "tests").rglob("__snapshots__/**/*.svg"))
    assert svgs, "the snapshot folders hold SVGs to check"
    secrets = [STEVE_API_PASSWORD, WEB_PASSWORD, LAGO_KEY, STEVE_PW, WEB_PW, LAGO_KEY_SECRET]
    for svg in svgs:
        assert leaks(svg.read_bytes(), secrets) == [], svg.relative_to(REPO)
