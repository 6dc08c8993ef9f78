"""SteVe's refused tags: the "Unknown Tags" list of its manager UI.

SteVe answers Invalid to an idTag that is not in its database and counts
the attempt under that idTag (attempts, last attempt; no charger, lost when
SteVe restarts). Vanilla SteVe shows the list only on the manager page
``/manager/ocppTags``; this reader fetches and parses it and never raises:
a missing password, an unreachable SteVe or an unreadable page is a
``RefusedTags`` with ``available=False`` and a note saying which.
"""

from __future__ import annotations

import logging

from polaris_tui.models.errors import ConfigError, PolarisError
from polaris_tui.models.identity import RefusedTags
from polaris_tui.services.clock import Clock
from polaris_tui.services.steve_client import SteveClient

log = logging.getLogger(__name__)


class RefusedTagReader:
    """``refused_tags()`` for the cards screen and the card triage."""

    def __init__(self, steve: SteveClient, clock: Clock) -> None:
        self._steve = steve
        self._clock = clock

    async def refused_tags(self) -> RefusedTags:
        """SteVe's unknown-tag list, most attempts first, or why it is missing."""
        try:
            tags = await self._steve.unknown_tags()
        except ConfigError:
            return RefusedTags(
                available=False,
                note="the manager pages need a web password (steve.web_password)",
            )
        except PolarisError as exc:
            log.warning("unknown tags: %s", exc)
            note = f"{exc.title}: {exc.message}" if exc.message else exc.title
            return RefusedTags(available=False, note=note)
        if tags is None:
            return RefusedTags(
                available=False, note="SteVe's OCPP tags page has no Unknown Tags table"
            )
        tags.sort(key=lambda t: (-t.attempts, t.id_tag))
        return RefusedTags(tags=tags, as_of=self._clock.now())


__all__ = ["RefusedTagReader"]
