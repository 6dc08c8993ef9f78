"""Client side of the pre-authorize hook, as a SteVe fork calls it.

STEVE.md §6: on every Authorize and StartTransaction the fork POSTs
``{idTag, chargeBoxId, connectorId, isStartTx, ts}`` with ``X-Signature`` =
lowercase hex HMAC-SHA256 of the raw body, waits at most ~200 ms, and fails
open: a timeout, a non-2xx, unreadable JSON or anything else leaves SteVe's own
decision in place. ``{"override": "BLOCKED"}`` is the only answer that matters.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import ssl
from dataclasses import dataclass

import aiohttp

log = logging.getLogger("chargesim.hook")


def sign(key: str, body: bytes) -> str:
    """The ``X-Signature`` value for ``body`` under ``key``."""
    return hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass
class HookResult:
    """What one hook call came to: ``outcome`` is ``blocked``, ``allow``,
    ``timeout``, ``http_<status>``, ``bad_json`` or ``error``."""

    outcome: str
    override: str | None = None


class HookClient:
    """Calls the hook URL; one aiohttp session, created on first use."""

    def __init__(self, url: str | None, key: str | None, timeout: float = 0.2) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._tls: ssl.SSLContext | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.url and self.key)

    def configure(self, url: str | None, key: str | None, timeout: float | None = None) -> None:
        """Point the hook elsewhere (control endpoint); None/None turns it off."""
        self.url, self.key = url, key
        if timeout is not None:
            self.timeout = timeout

    async def call(
        self,
        id_tag: str,
        charge_box_id: str,
        connector_id: int | None,
        is_start_tx: bool,
        ts_ms: int,
    ) -> HookResult:
        """POST one signed request; never raises (fail-open)."""
        if not self.enabled:
            return HookResult("off")
        payload = {
            "idTag": id_tag,
            "chargeBoxId": charge_box_id,
            "connectorId": connector_id if connector_id is not None else 0,
            "isStartTx": is_start_tx,
            "ts": ts_ms,
        }
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Signature": sign(self.key or "", body)}
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(self.timeout):
                async with self._session.post(
                    self.url or "", data=body, headers=headers, ssl=self._tls_for(self.url or "")
                ) as resp:
                    if resp.status // 100 != 2:
                        return HookResult(f"http_{resp.status}")
                    raw = await resp.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                return HookResult("bad_json")
            override = answer.get("override") if isinstance(answer, dict) else None
            if override == "BLOCKED":
                return HookResult("blocked", "BLOCKED")
            return HookResult("allow", None)
        except TimeoutError:
            log.info("pre-authorize hook timed out after %.3f s (fail-open)", self.timeout)
            return HookResult("timeout")
        except aiohttp.ClientError as exc:
            log.info("pre-authorize hook failed (fail-open): %s", exc)
            return HookResult("error")

    def _tls_for(self, url: str) -> ssl.SSLContext | bool:
        """A verifying context for an https hook, built on first use, as
        aiohttp's default is (``quick_import.py``: its own trusts nothing)."""
        if not url.lower().startswith("https:"):
            return True  # plain HTTP: no TLS
        if self._tls is None:
            self._tls = ssl.create_default_context()
            self._tls.set_alpn_protocols(("http/1.1",))
        return self._tls

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
