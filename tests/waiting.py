"""Wait on a condition with a deadline that only a hang reaches.

A fixed number of tries (``for _ in range(50): ... sleep(0.05)``) is a
wall-clock guess in disguise: a loaded machine outruns 2.5 s easily. These
loops poll often and give up only after ``BOUND`` seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

BOUND = 120.0
"""Seconds before a wait fails: a failure bound, never the expected time."""


async def eventually(condition: Callable[[], bool], *, every: float = 0.02) -> bool:
    """Whether ``condition()`` came to hold within ``BOUND`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + BOUND
    while not condition():
        if loop.time() > deadline:
            return condition()
        await asyncio.sleep(every)
    return True
