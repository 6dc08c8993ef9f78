"""The operator's "when and where" of a failing tap, from two typed fields.

When: empty for the last hour; a length back from now (``30m``, ``6h``,
``2d``, also ``last 6h``); or a moment, ``HH:MM`` (today in UTC, yesterday
when that is still ahead) or ``YYYY-MM-DD HH:MM``, which counts a few
minutes either side. Where: empty or ``anywhere`` for any charger, else a
ChargeBox ID. Times are UTC, like every time Polaris shows.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from polaris_tui.models.errors import InvalidParams
from polaris_tui.models.identity import TapQuery
from polaris_tui.services.triage_tap import tap_window

MAX_LOOKBACK = timedelta(days=90)
"""As far back as the charger page's sessions look (SteVe has no paging)."""

_LENGTH = re.compile(r"^(?:last\s*)?(\d{1,4})\s*(m|min|h|d)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
_SHORT = {"minutes": "min", "hours": "h", "days": "d"}
WHEN_HELP = "last 1h, 30m, 6h, 2d, 14:05 or 2026-11-22 14:05 (UTC)"
ANYWHERE = ("", "any", "anywhere", "*")


def _moment(text: str, now: datetime) -> datetime | None:
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text.rstrip("zZ"), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    match = re.fullmatch(r"(\d{1,2}):(\d{2})[zZ]?", text)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return None
    moment = now.astimezone(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment - timedelta(days=1) if moment > now else moment


def parse_tap(when_text: str, where_text: str, now: datetime) -> TapQuery:
    """The window and place the operator typed.

    Raises:
        InvalidParams: ``when`` is not one of the forms above, is in the
            future, or reaches back more than 90 days.
    """
    where = where_text.strip()
    charge_box_id = None if where.lower() in ANYWHERE else where
    text = " ".join(when_text.strip().lower().split())
    if not text:
        return tap_window(now, None, charge_box_id)
    typed = when_text.strip()
    length = _LENGTH.match(text)
    if length is not None:
        unit = _UNITS[length[2]]
        back = timedelta(**{unit: int(length[1])})
        if back <= timedelta(0) or back > MAX_LOOKBACK:
            raise InvalidParams({"when": "between 1 minute and 90 days back"})
        label = f"in the last {int(length[1])} {_SHORT[unit]}"
        return TapQuery(
            start=now - back, end=now, charge_box_id=charge_box_id, label=label, typed_when=typed
        )
    moment = _moment(text, now)
    if moment is None:
        raise InvalidParams({"when": f"not a time Polaris reads; try {WHEN_HELP}"})
    if moment > now:
        raise InvalidParams({"when": "that is in the future"})
    if now - moment > MAX_LOOKBACK:
        raise InvalidParams({"when": "more than 90 days back"})
    return tap_window(now, moment, charge_box_id).model_copy(update={"typed_when": typed})


__all__ = ["WHEN_HELP", "parse_tap"]
