"""Removal of secrets from any text Polaris may show, log or store.

The clients build every error message through ``redact()`` with the secrets
from ``Settings.secrets()``, so an API password echoed back by a proxy, a key
inside a URL or a Basic-auth header in an exception text never reaches a
screen, a log line or the store.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"

# user:password@ inside URLs (http://admin:pw@host/...) — the password part goes.
_URL_USERINFO = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@:\s]*):(?P<pw>[^/@\s]*)@"
)
# Authorization header values that may appear in dumped requests.
_AUTH_HEADER = re.compile(r"(?i)\b(?P<kind>basic|bearer)\s+(?P<token>[A-Za-z0-9._~+/=-]{6,})")


def _variants(secret: str) -> set[str]:
    """The forms a secret can take in text: raw, URL-encoded, base64."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms.add(base64.b64encode(secret.encode()).decode())
    return {f for f in forms if f}


def _base64_cores(secret: str) -> set[str]:
    """What a secret looks like inside a longer base64 text (Basic auth's
    ``user:password``): it may start at any of the three byte offsets of a
    base64 group; keep only the groups made of the secret's bytes alone."""
    raw = secret.encode()
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode()
        start = 4 if offset else 0
        end = (offset + len(raw)) // 3 * 4
        if end - start >= 8:
            cores.add(encoded[start:end])
    return cores


def _mask_base64_token(text: str, core: str) -> str:
    """Mask the whole base64 token around ``core`` (its edges hold bits of the secret too)."""
    pattern = re.compile(r"[A-Za-z0-9+/]*" + re.escape(core) + r"[A-Za-z0-9+/]*={0,2}")
    return pattern.sub(MASK, text)


def redact(text: object, secrets: Iterable[str | None]) -> str:
    """Return ``text`` with every secret (and its encoded forms) replaced by ``***``.

    Args:
        text: any value; it is turned into a string first (None -> "").
        secrets: the configured secret values; empty or None entries are ignored.

    Also masks the password of ``scheme://user:password@`` URLs and the token of
    ``Basic``/``Bearer`` header values, whether or not they are configured.
    """
    if text is None:
        return ""
    result = str(text)
    forms: set[str] = set()
    cores: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= _variants(secret)
            cores |= _base64_cores(secret)
    for core in sorted(cores, key=len, reverse=True):
        if core in result:
            result = _mask_base64_token(result, core)
    # Longest first, so a secret that contains another is masked whole.
    for form in sorted(forms, key=len, reverse=True):
        result = result.replace(form, MASK)
    result = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", result)
    result = _AUTH_HEADER.sub(lambda m: f"{m['kind']} {MASK}", result)
    return result


def shorten(text: str, limit: int = 500) -> str:
    """Cut a message to ``limit`` characters so one answer cannot flood a notice."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RedactingFormatter(logging.Formatter):
    """A log formatter that passes every line (tracebacks included) through
    ``redact()``: a bug's exception text must not write a secret to the log file."""

    def __init__(self, fmt: str | None = None, *, secrets: Iterable[str | None] = ()) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)
