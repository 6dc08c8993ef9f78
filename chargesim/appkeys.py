"""Typed keys of the aiohttp applications (what every handler reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .world import World

SIM: web.AppKey[World] = web.AppKey("sim")
SESSIONS: web.AppKey[Any] = web.AppKey("manager_sessions")
