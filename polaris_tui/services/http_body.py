"""Reading HTTP answers safely: size-capped bodies, JSON whose strings are
valid Unicode, and validation errors described without their values.

Shared by the SteVe and Lago clients."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from pydantic import ValidationError


def describe_validation(exc: ValidationError) -> str:
    """Where an answer did not fit, without echoing the values."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False)[:3]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "(top)"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_text(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_valid_text(item) for item in value]
    if isinstance(value, dict):
        return {_valid_text(key): _valid_text(item) for key, item in value.items()}
    return value


def may_hold_surrogates(body: bytes) -> bool:
    """Whether ``body`` escapes a UTF-16 surrogate, which ``load_json`` repairs."""
    return _SURROGATE_ESCAPE.search(body) is not None


def load_json(body: bytes) -> Any:
    """``json.loads`` whose strings are valid Unicode.

    ``"\\ud800"`` alone is valid JSON (Java servers emit it for a broken
    string) but not encodable text: kept as is, it would make the snapshot,
    the log and the terminal fail on one charger's description. A lone
    surrogate becomes U+FFFD. Raises ValueError / RecursionError like ``json.loads``.
    """
    payload = json.loads(body)
    if _SURROGATE_ESCAPE.search(body):
        payload = _valid_text(payload)
    return payload


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
    """Read a streamed body, refusing more than ``limit`` bytes (raises ValueError)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ValueError(f"the answer is larger than {limit // (1024 * 1024)} MB")
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > limit:
            raise ValueError(f"the answer is larger than {limit // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)
