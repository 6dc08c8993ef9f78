"""Import the server without the CA store loads aiohttp does at import.

``aiohttp.connector`` builds two client TLS contexts when it is imported,
each loading the system's CA store: ~80 ms of the stand-in's ~0.4 s of CPU
before it listens, beside the demo console's own start on the same cores.
The stand-in's only client is the hook (``hook.py``), which brings its own
verifying context when its URL is https. So while ``chargesim.server`` is
first imported, contexts skip loading CAs: aiohttp's defaults then trust
nothing and would fail closed, never open, if anything used them.
"""

from __future__ import annotations

import ssl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _skip(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
    """No CA store is loaded (see the module's docstring)."""


@contextmanager
def ca_loads_skipped() -> Iterator[None]:
    """Contexts built meanwhile load no CAs; only when aiohttp is not yet imported."""
    if "aiohttp" in sys.modules:  # its contexts exist already (tests, polaris sim)
        yield
        return
    context_class: Any = ssl.SSLContext
    saved = context_class.load_default_certs, context_class.set_default_verify_paths
    context_class.load_default_certs = context_class.set_default_verify_paths = _skip
    try:
        yield
    finally:
        context_class.load_default_certs, context_class.set_default_verify_paths = saved
