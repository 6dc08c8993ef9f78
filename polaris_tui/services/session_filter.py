"""The Sessions screen's filter line, parsed into a ``SessionQuery``.

Words without a prefix are matched by the service: an exact idTag or
charger id, else part of a customer's e-mail or name. Prefixed words set one
filter each:

    open | stopped | all          state:open        which sessions
    charger:CP-ALPHA-01           tag:CARD-HEALTHY  customer:ada@example.com
    last:2d | last:12h            the window ends now and is that wide
    from:2026-11-20 to:2026-11-21T06:00            an explicit window (UTC)

Pure: ``now`` is passed in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from polaris_tui.models.sessions import SessionQuery

SPAN_RE = re.compile(r"^(\d{1,4})([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
STATES = ("open", "stopped", "all")
MAX_SPAN = timedelta(days=3660)


class FilterError(ValueError):
    """A word of the filter line that cannot be understood (the message says which)."""


def _moment(value: str, word: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise FilterError(f"“{word}”: write the time as 2026-11-21 or 2026-11-21T06:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_filter(text: str, now: datetime, base: SessionQuery | None = None) -> SessionQuery:
    """The query that ``text`` asks for, on top of ``base`` (its fixed filters).

    Raises:
        FilterError: a prefixed word with a value that cannot be read.
    """
    query = (base or SessionQuery()).model_copy()
    free: list[str] = []
    for word in text.split():
        prefix, _, value = word.partition(":")
        prefix = prefix.lower()
        if not value and prefix in STATES:
            query.state = prefix  # type: ignore[assignment]
        elif prefix == "state" and value.lower() in STATES:
            query.state = value.lower()  # type: ignore[assignment]
        elif prefix == "charger" and value:
            query.charge_box_id = value
        elif prefix == "tag" and value:
            query.id_tag = value
        elif prefix == "customer" and value:
            query.customer = value
        elif prefix == "last" and value:
            match = SPAN_RE.match(value.lower())
            if match is None:
                raise FilterError(f"“{word}”: write the span as last:30m, last:12h or last:7d")
            span = timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
            query.since, query.until = now - min(span, MAX_SPAN), None
        elif prefix == "from" and value:
            query.since = _moment(value, word)
        elif prefix == "to" and value:
            query.until = _moment(value, word)
        else:
            free.append(word)
    if free:
        query.text = " ".join(free)
    if query.since and query.until and query.until <= query.since:
        raise FilterError("the window ends before it starts (to: must be after from:)")
    return query


__all__ = ["FilterError", "parse_filter"]
