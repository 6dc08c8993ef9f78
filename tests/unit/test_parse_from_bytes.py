"""Answers validated straight from their bytes read exactly as through ``json.loads``.

``SteveTransport._parse`` validates a body with pydantic's JSON parser (the
meter sampler's ~650 kB a cycle at 10,000 chargers) and falls back to
``load_json`` + ``validate_python`` for anything that does not validate, and
for bodies escaping a UTF-16 surrogate (which ``load_json`` repairs). Each
body here must give the same model, or the same error, both ways.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from polaris_tui.models import TransactionDetails
from polaris_tui.models.errors import MalformedResponse
from polaris_tui.services.http_body import describe_validation, load_json
from polaris_tui.services.settings import SteveSettings
from polaris_tui.services.steve_client import SteveClient
from polaris_tui.services.steve_transport import adapter
from polaris_tui.services.steve_wire import Answer

TX: dict[str, Any] = {
    "id": 1001,
    "chargeBoxId": "CP-ALPHA-01",
    "connectorId": 1,
    "ocppIdTag": "CARD-HEALTHY",
    "startTimestamp": "2026-11-22T09:30:00.000Z",
    "startValue": "1000",
}


def value(**fields: Any) -> dict[str, Any]:
    return {"valueTimestamp": "2026-11-22T09:31:00.000Z", "value": "1.2", "unit": "kWh"} | fields


def details(*values: dict[str, Any]) -> bytes:
    return json.dumps({"transaction": TX, "values": list(values)}).encode()


GOOD = [
    details(value(), value(value="1300", unit="Wh", valueTimestamp="2026-11-22T09:32:00+01:00")),
    details(value(measurand="Energy\x1b[31m\u202e", phase=None)),  # cleaned text
    details(),
    b' {"transaction": %s, "values": [], "values": [%s]} '
    % (  # a key twice: the last
        json.dumps(TX).encode(),
        json.dumps(value()).encode(),
    ),
    details(value(value="\ud800broken")),  # a lone surrogate: load_json's repair
    json.dumps({"transaction": TX, "values": [value()]}, ensure_ascii=False).encode(),
    details(value(value="\u00e9t\u00e9 \U0001f50c")),
]
BAD = [
    b"not json",
    b"",
    details(value(valueTimestamp="yesterday")),
    details(value(value=12)),
    json.dumps({"transaction": TX | {"id": "x"}}).encode(),
    b'{"transaction": %s, "values": [NaN]}' % json.dumps(TX).encode(),
    details(value()).replace(b"kWh", b"k\xffWh"),  # not UTF-8
    "[]".encode("utf-16"),
]


def client() -> SteveClient:
    cfg = SteveSettings(
        url="http://steve.test:8080/steve", api_password=SecretStr("api-pw-Secret9")
    )
    return SteveClient(cfg, transport=httpx.MockTransport(lambda r: httpx.Response(500)))


def answer(body: bytes) -> Answer:
    return Answer(200, httpx.Headers(), body)


@pytest.mark.parametrize("body", GOOD)
async def test_a_good_body_reads_as_through_json_loads(body: bytes) -> None:
    steve = client()
    try:
        made = steve._parse(answer(body), TransactionDetails, "Transaction")
    finally:
        await steve.close()
    expected = adapter(TransactionDetails).validate_python(load_json(body))
    assert made == expected
    assert made.model_dump() == expected.model_dump()  # the raw text behind cleaned fields too
    assert [type(v.measurand) for v in made.values] == [type(v.measurand) for v in expected.values]


@pytest.mark.parametrize("body", BAD)
async def test_a_bad_body_fails_as_through_json_loads(body: bytes) -> None:
    steve = client()
    try:
        with pytest.raises(MalformedResponse) as caught:
            steve._parse(answer(body), TransactionDetails, "Transaction")
    finally:
        await steve.close()
    try:
        adapter(TransactionDetails).validate_python(load_json(body))
    except ValidationError as exc:
        detail = describe_validation(exc)
    except ValueError:
        detail = "the answer is not JSON"
    else:
        pytest.fail("the old path accepted it")
    assert detail in str(caught.value)
