"""The log file: size-rotated, at the configured level, secrets redacted.

The terminal belongs to the UI, so Polaris logs to
``<state dir>/polaris.log``. Per-request lines of the HTTP libraries
(httpx's "HTTP Request: …", aiohttp's access log) are demoted to DEBUG:
at INFO a console polling every 5 s wrote about 14 MB a day of them.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
from pathlib import Path
from typing import Any

from polaris_tui.store.files import create_file, ensure_folder

LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
LOG_NAME = "polaris.log"
HANDLER_NAME = "polaris-file"

REQUEST_LOGGERS = ("httpx", "httpcore", "aiohttp.access")
"""Loggers that write one line per HTTP request: their INFO lines become DEBUG."""


class DemoteToDebug(logging.Filter):
    """Turn INFO records of a chatty logger into DEBUG ones (handlers then drop them
    unless the log level is DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno = logging.DEBUG
            record.levelname = "DEBUG"
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates each new log file (the first, and after every rollover) with
    the private or group mode before opening it."""

    def __init__(self, shared: bool, *args: Any, **kwargs: Any) -> None:
        self.shared = shared
        super().__init__(*args, **kwargs)

    def _open(self) -> io.TextIOWrapper[Any]:  # the stdlib's own signature
        create_file(Path(self.baseFilename), shared=self.shared)
        return super()._open()


def setup_logging(
    state_dir: Path,
    *,
    level: str = "INFO",
    max_bytes: int = 5_000_000,
    backup_count: int = 5,
    shared: bool = False,
) -> Path:
    """Send every log record at ``level`` or above to a rotating file in ``state_dir``.

    The folder and every log file are private (0700, 0600) whatever the
    umask, or group-shared (2770, 0660) with a group-shared store.

    Returns:
        The log file's path.
    """
    ensure_folder(state_dir, shared=shared)
    path = state_dir / LOG_NAME
    create_file(path, shared=shared)
    handler = PrivateRotatingFileHandler(
        shared, path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
    )
    numeric = logging.getLevelName(level.upper())
    handler.setLevel(numeric)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)  # a second call (tests, reload) replaces, never doubles
        old.close()
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in REQUEST_LOGGERS:
        chatty = logging.getLogger(name)
        if not any(isinstance(f, DemoteToDebug) for f in chatty.filters):
            chatty.addFilter(DemoteToDebug())
    return path


def setup_stderr_logging(level: str = "INFO") -> None:
    """Log to stderr at ``level`` (``polaris hook``: a service whose stderr is the
    journal), with the same request lines demoted to DEBUG as the log file."""
    numeric = logging.getLevelName(level.upper())
    handler = logging.StreamHandler()
    handler.setLevel(numeric)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in REQUEST_LOGGERS:
        chatty = logging.getLogger(name)
        if not any(isinstance(f, DemoteToDebug) for f in chatty.filters):
            chatty.addFilter(DemoteToDebug())
