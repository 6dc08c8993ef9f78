"""What every SteVe REST handler shares: the error body, auth, input rules.

ApiErrorResponse (STEVE.md §1): ``timestamp``, ``status``, ``error`` (the HTTP
reason phrase), ``message``, ``path`` (full request URL, no query string).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .appkeys import SIM
from .clock import iso_z

if TYPE_CHECKING:
    from .world import World

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
}
BIND_ERROR = "Error understanding the request"
"""SteVe's message for every bean-validation failure (no field detail)."""
NOT_ELIGIBLE = (
    "No stations are eligible for communication. Ensure that the chargeBox IDs are correct "
    "and the stations are online."
)
ID_TAG_RE = re.compile(r"^[a-zA-Z0-9.:_#-]+$")
CHARGE_BOX_ID_RE = re.compile(r"^[^=/()<>]*$")


class ApiError(Exception):
    """Raise from a handler to answer with ApiErrorResponse."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def sim_of(request: web.Request) -> World:
    return request.app[SIM]


def error_body(request: web.Request, status: int, message: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "timestamp": iso_z(sim_of(request).clock.now()),
        "status": status,
        "error": REASONS.get(status, "Error"),
    }
    if message is not None:
        body["message"] = message
    body["path"] = str(request.url.with_query(None))
    return body


def api_error(request: web.Request, status: int, message: str) -> web.Response:
    return web.json_response(error_body(request, status, message), status=status)


def check_basic_auth(request: web.Request) -> web.Response | None:
    """SteVe's API chain: HTTP Basic on every ``/api/**`` request.

    No header ⇒ 403 (Spring's default entry point, Boot's error JSON without
    ``message``); a bad header, unknown user or wrong password ⇒ 401 with
    ApiAuthenticationManager's messages.
    """
    opts = sim_of(request).options
    header = request.headers.get("Authorization")
    if not header:
        return web.json_response(error_body(request, 403, None), status=403)
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return web.json_response(error_body(request, 403, None), status=403)
    try:
        user, sep, password = (
            base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return api_error(request, 401, "Required parameters missing")
    if not sep or not user or not password:
        return api_error(request, 401, "Required parameters missing")
    if user != opts.steve_user:
        return api_error(
            request,
            401,
            "The user does not exist, exists but is disabled or has API access disabled.",
        )
    if password != opts.steve_password:
        return api_error(request, 401, "Invalid password")
    return None


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; unreadable ⇒ 500 as SteVe's catch-all does."""
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8") if raw else "")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(500, f"JSON parse error: {exc}") from exc


def query_value(request: web.Request, name: str) -> str | None:
    """A query value, trimmed; empty ⇒ absent (``StringTrimmerEditor(true)``)."""
    value = request.query.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def query_values(request: web.Request, name: str) -> list[str]:
    out: list[str] = []
    for value in request.query.getall(name, []):
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def query_int(request: web.Request, name: str) -> int | None:
    value = query_value(request, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, BIND_ERROR) from None


def query_enum(request: web.Request, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = query_value(request, name)
    if value is None:
        return default
    if value not in allowed:
        raise ApiError(400, BIND_ERROR)
    return value


def path_int(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    try:
        return int(raw)
    except ValueError:
        raise ApiError(
            400,
            f"Method parameter '{name}': Failed to convert value of type 'java.lang.String' to required "
            f"type 'java.lang.Integer'; For input string: \"{raw}\"",
        ) from None
