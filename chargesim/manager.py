"""Vanilla SteVe's manager pages, behind its form login (STEVE.md §5).

``GET /steve/manager/signin`` hands out a JSESSIONID cookie and a form with a
hidden ``_csrf``; ``POST`` with ``username``, ``password``, ``_csrf`` answers
302 (to the page first asked for, Spring's ``?continue``, else home) or 302 to
``/manager/signin?error``; a missing or wrong token is 403. Every other
``/manager/**`` page redirects to the sign-in page without a valid session.

Pages: ``home/connectorStatus`` (and its ``/query`` filter) with the table
``#connectorStatusTable`` and the offline icon for disconnected OCPP-J
stations, ``home/ocppJsonStatus`` and ``chargepoints`` — the same columns as
SteVe's JSPs, written anew. Values are HTML-escaped.
"""

from __future__ import annotations

import html
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .appkeys import SESSIONS, SIM
from .manager_details import render_details
from .unknown_tags import render_table

if TYPE_CHECKING:
    from .records import ChargeBox, Connector
    from .world import World

CTX = "/steve"
COOKIE = "JSESSIONID"
OFFLINE_TOOLTIP = (
    "This JSON charge point is currently disconnected. The status information of its\n"
    "                            connectors might be not up-to-date."
)


def humanize(dt: datetime, now: datetime) -> str:
    """SteVe's ``DateTimeUtils.humanize`` in UTC: Today/Yesterday/Tomorrow at HH:mm."""
    day, today = dt.date(), now.date()
    clock = dt.strftime("%H:%M")
    if day == today:
        return f"Today at {clock}"
    if day == today - timedelta(days=1):
        return f"Yesterday at {clock}"
    if day == today + timedelta(days=1):
        return f"Tomorrow at {clock}"
    return f"{dt.strftime('%Y-%m-%d')} at {clock}"


def millis(dt: datetime) -> int:
    return int(dt.timestamp() * 1000)


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class Sessions:
    """Servlet sessions: id → {csrf, user, saved}."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}

    LIMIT = 2_000
    """Sessions kept; the oldest go first (a cookie-less poller must not grow memory)."""

    def new(self) -> tuple[str, dict[str, Any]]:
        sid = secrets.token_hex(16).upper()
        session = {"csrf": secrets.token_urlsafe(24), "user": None, "saved": None}
        self.by_id[sid] = session
        while len(self.by_id) > self.LIMIT:
            del self.by_id[next(iter(self.by_id))]
        return sid, session


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        f'<link rel="stylesheet" type="text/css" href="{CTX}/static/css/style.css">\n'
        f'<title>SteVe - Steckdosenverwaltung</title>\n</head>\n<body>\n<div class="main">\n'
        f'<div class="top-banner"><div class="container"><a href="{CTX}/manager/home">SteVe</a></div></div>\n'
        f'<div class="main-wrapper">\n<div class="content"><div>\n<section><span>{esc(title)}</span></section>\n'
        f"{body}\n</div></div>\n</div>\n</div>\n</body>\n</html>\n"
    )


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _redirect(location: str, *, cookie: str | None = None) -> web.Response:
    resp = web.Response(status=302, headers={"Location": location})
    if cookie is not None:
        resp.set_cookie(COOKIE, cookie, path=CTX, httponly=True)
    return resp


def manager_routes() -> list[web.RouteDef]:
    def sessions(request: web.Request) -> Sessions:
        return request.app[SESSIONS]

    def sim(request: web.Request) -> World:
        return request.app[SIM]

    def absolute(request: web.Request, path: str) -> str:
        return str(request.url.with_path(path).with_query(None))

    def current(request: web.Request) -> tuple[str | None, dict[str, Any] | None]:
        sid = request.cookies.get(COOKIE)
        if sid is None:
            return None, None
        return sid, sessions(request).by_id.get(sid)

    def guard(request: web.Request) -> web.Response | None:
        """Redirect to the sign-in page unless an ADMIN session is present."""
        sid, session = current(request)
        if session is not None and session["user"]:
            return None
        signin = absolute(request, f"{CTX}/manager/signin")
        if sid is not None and session is None:
            return _redirect(signin)  # invalidSessionUrl
        new_cookie = None
        if session is None:
            sid, session = sessions(request).new()
            new_cookie = sid
        session["saved"] = str(request.url.with_query(None)) + "?continue"
        return _redirect(signin, cookie=new_cookie)

    async def signin_form(request: web.Request) -> web.Response:
        sid, session = current(request)
        cookie = None
        if session is None:
            sid, session = sessions(request).new()
            cookie = sid
        error = (
            '<div class="error">Your name or password is incorrect.</div>\n'
            if "error" in request.query
            else ""
        )
        body = (
            f"{error}"
            f'<form method="POST" action="{CTX}/manager/signin">\n'
            '<table class="userInput">\n'
            '<tr><td>Name:</td><td><input type="text" name="username" id="username" required /></td></tr>\n'
            '<tr><td>Password:</td><td><input type="password" name="password" id="password" required /></td></tr>\n'
            '<tr><td></td><td id="add_space"><input type="submit" value="Sign In"></td></tr>\n'
            "</table>\n"
            f'<input type="hidden" name="_csrf" value="{esc(session["csrf"])}"/>\n'
            "</form>"
        )
        resp = _html(_page("Sign In", body))
        if cookie:
            resp.set_cookie(COOKIE, cookie, path=CTX, httponly=True)
        return resp

    async def signin_post(request: web.Request) -> web.Response:
        sid, session = current(request)
        form = await request.post()
        if session is None or form.get("_csrf") != session["csrf"]:
            return _html(_page("Error", "<p>Invalid CSRF token.</p>"), status=403)
        opts = sim(request).options
        if form.get("username") != opts.web_user or form.get("password") != opts.web_password:
            return _redirect(absolute(request, f"{CTX}/manager/signin") + "?error")
        # Session fixation protection: a new session id after login.
        sessions(request).by_id.pop(sid or "", None)
        new_sid, new_session = sessions(request).new()
        new_session["user"] = opts.web_user
        target = session.get("saved") or absolute(request, f"{CTX}/manager/home")
        return _redirect(target, cookie=new_sid)

    async def signout(request: web.Request) -> web.Response:
        sid, _ = current(request)
        sessions(request).by_id.pop(sid or "", None)
        resp = _redirect(absolute(request, f"{CTX}/manager/signin") + "?logout")
        resp.del_cookie(COOKIE, path=CTX)
        return resp

    async def home(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        c = sim(request).central
        body = (
            '<ul class="home">\n'
            f'<li><a href="{CTX}/manager/chargepoints">Number of Charge Points: {len(c.boxes)}</a></li>\n'
            f'<li><a href="{CTX}/manager/home/ocppJsonStatus">Number of connected JSON charge points: '
            f"{sum(1 for b in c.boxes.values() if b.online)}</a></li>\n"
            f'<li><a href="{CTX}/manager/home/connectorStatus">Connector Status</a></li>\n'
            "</ul>"
        )
        return _html(_page("Home", body))

    async def connector_status(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        s = sim(request)
        only_box = (request.query.get("chargeBoxId") or "").strip() or None
        only_status = (request.query.get("status") or "").strip() or None
        now = s.clock.now()
        rows = []
        for box in sorted(s.central.boxes.values(), key=lambda b: b.charge_box_id):
            if box.registration_status != "Accepted":
                continue
            if only_box is not None and box.charge_box_id != only_box:
                continue
            for conn in prefer_zero(box):
                if only_status is not None and conn.status != only_status:
                    continue
                rows.append(_status_row(box, conn, now))
        options = "".join(
            f'<option value="{esc(b)}">{esc(b)}</option>' for b in sorted(s.central.boxes)
        )
        body = (
            f'<form action="{CTX}/manager/home/connectorStatus/query" method="get">\n'
            '<table class="userInput">\n'
            f'<tr><td>ChargeBox ID:</td><td><select name="chargeBoxId"><option value="" selected>All</option>'
            f"{options}</select></td></tr>\n"
            '<tr><td>Status:</td><td><select name="status"><option value="" selected>All</option>'
            + "".join(f'<option value="{v}">{v}</option>' for v in STATUS_OPTIONS)
            + "</select></td></tr>\n"
            '<tr><td></td><td id="add_space"><input type="submit" value="Get"></td></tr>\n'
            "</table>\n</form>\n<br>\n"
            '<table class="res" id="connectorStatusTable">\n'
            "\t<thead>\n\t\t<tr>\n"
            '\t\t\t<th data-sort="string">ChargeBox ID</th>\n'
            '\t\t\t<th data-sort="int">Connector ID</th>\n'
            '\t\t\t<th data-sort="date">Date/Time</th>\n'
            '\t\t\t<th data-sort="string">Status</th>\n'
            '\t\t\t<th data-sort="string">Error Code</th>\n'
            "\t\t</tr>\n\t</thead>\n\t<tbody>\n" + "".join(rows) + "\t</tbody>\n</table>"
        )
        return _html(_page("Connector Status", body))

    async def json_status(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        s = sim(request)
        now = s.clock.now()
        rows = []
        for box in sorted(s.central.boxes.values(), key=lambda b: b.charge_box_id):
            if not box.online or not box.ocpp_protocol.endswith("J"):
                continue
            since = box.online_since or now
            rows.append(
                f'<tr><td><a href="{CTX}/manager/chargepoints/details/{box.pk}">{esc(box.charge_box_id)}</a></td>'
                f"<td>{esc(box.ocpp_protocol[:-1].replace('ocpp', 'V_').replace('.', ''))}</td>"
                f'<td data-sort-value="{millis(since)}">{esc(humanize(since, now))}</td>'
                f"<td>{esc(_duration(now - since))}</td></tr>\n"
            )
        body = (
            '<table class="res" id="ocppJsonStatusTable">\n<thead><tr><th>ChargeBox ID</th><th>OCPP Version</th>'
            "<th>Connected Since</th><th>Connection Duration</th></tr></thead>\n<tbody>\n"
            + "".join(rows)
            + "</tbody>\n</table>"
        )
        return _html(_page("OCPP JSON Status", body))

    async def chargepoints(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        s = sim(request)
        now = s.clock.now()
        q = request.query
        rows = []
        for box in sorted(s.central.boxes.values(), key=lambda b: b.charge_box_id):
            if q.get("chargeBoxId") and q["chargeBoxId"].strip() not in box.charge_box_id:
                continue
            if q.get("description") and q["description"].strip() not in (box.description or ""):
                continue
            hb = s.central.effective_heartbeat(box)
            hb_cell = (
                f'<td data-sort-value="{millis(hb)}">{esc(humanize(hb, now))}</td>'
                if hb
                else "<td></td>"
            )
            rows.append(
                f'<tr><td><a href="{CTX}/manager/chargepoints/details/{box.pk}">{esc(box.charge_box_id)}</a></td>'
                f"<td>{esc(box.description)}</td><td>{esc(box.ocpp_protocol)}</td>{hb_cell}</tr>\n"
            )
        body = (
            '<table class="res" id="chargePointTable">\n<thead><tr><th data-sort="string">ChargeBox ID</th>'
            '<th data-sort="string">Description</th><th data-sort="string">OCPP Protocol</th>'
            '<th data-sort="date">Last Heartbeat</th></tr></thead>\n<tbody>\n'
            + "".join(rows)
            + "</tbody>\n</table>"
        )
        return _html(_page("Charge Point Overview", body))

    async def details(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        c = sim(request).central
        try:
            box = c.boxes_by_pk[int(request.match_info["pk"])]
        except (KeyError, ValueError):
            return _html(_page("Error", "<p>Charge point not found</p>"), status=404)
        page = render_details(box, c.effective_heartbeat(box), CTX)
        return _html(_page("Charge Point Details", page))

    async def ocpp_tags(request: web.Request) -> web.Response:
        if (denied := guard(request)) is not None:
            return denied
        unknown = sim(request).central.unknown_tags.ordered()
        return _html(_page("OCPP Tags", render_table(unknown, CTX)))

    base = f"{CTX}/manager"
    return [
        web.get(f"{base}/ocppTags", ocpp_tags),
        web.get(f"{base}/chargepoints/details/{{pk}}", details),
        web.get(f"{base}/signin", signin_form),
        web.post(f"{base}/signin", signin_post),
        web.get(f"{base}/signout", signout),
        web.post(f"{base}/signout", signout),
        web.get(f"{base}", home),
        web.get(f"{base}/home", home),
        web.get(f"{base}/home/connectorStatus", connector_status),
        web.get(f"{base}/home/connectorStatus/query", connector_status),
        web.get(f"{base}/home/ocppJsonStatus", json_status),
        web.get(f"{base}/chargepoints", chargepoints),
        web.get(f"{base}/chargepoints/query", chargepoints),
    ]


STATUS_OPTIONS = (
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
)


def prefer_zero(box: ChargeBox) -> list[Connector]:
    """SteVe's ``ConnectorStatusFilter.filterAndPreferZero`` for one station."""
    reported = [
        c for c in sorted(box.connectors.values(), key=lambda k: k.connector_id) if c.status_ts
    ]
    zero = [c for c in reported if c.connector_id == 0]
    others = [c for c in reported if c.connector_id != 0]
    if zero and others:
        newest_other = max(c.status_ts for c in others)  # type: ignore[type-var]
        return zero if zero[0].status_ts > newest_other else others  # type: ignore[operator]
    return zero or others


def _status_row(box: ChargeBox, conn: Connector, now: datetime) -> str:
    offline = ""
    if box.ocpp_protocol.endswith("J") and not box.online:
        offline = (
            f'\n                        <a class="tooltip" href="#"><img src="{CTX}/static/images/offline-icon.svg"'
            f' style="height: 1em">\n                            <span>{OFFLINE_TOOLTIP}</span>\n'
            "                        </a>"
        )
    ts = conn.status_ts
    assert ts is not None
    return (
        "\t\t\t<tr>\n\t\t\t\t<td>\n"
        f'                    <a href="{CTX}/manager/chargepoints/details/{box.pk}">{esc(box.charge_box_id)}</a>'
        f"{offline}\n\t\t\t\t</td>\n"
        f"\t\t\t\t<td>{conn.connector_id}</td>\n"
        f'\t\t\t\t<td data-sort-value="{millis(ts)}">{esc(humanize(ts, now))}</td>\n'
        f"\t\t\t\t<td>{esc(conn.status)}</td>\n"
        f"\t\t\t\t<td>{esc(conn.error_code)}</td>\n"
        "\t\t\t</tr>\n"
    )


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return (
        f"{days} days, {hours} hours, {mins} minutes" if days else f"{hours} hours, {mins} minutes"
    )
