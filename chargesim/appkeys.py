"""Typed keys of the aiohttp applications (what every handler reads)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from .sim import Sim

SIM: web.AppKey[Sim] = web.AppKey("sim")
SESSIONS: web.AppKey[Any] = web.AppKey("manager_sessions")
