"""The terminal driver: Textual's Linux driver, made to survive a bad terminal.

Written against Textual 8.2.8 (pinned exactly in ``pyproject.toml``): it
replaces ``LinuxDriver.run_input_thread`` and wraps the file the driver
writes to, so check both again when the pin moves. Three changes:

* **Undecodable input becomes U+FFFD.** Textual decodes terminal input as
  strict UTF-8 in its input thread: one Latin-1 ``é`` (PuTTY set to
  Latin-1), a bare 0xFF or a pasted lone surrogate raised
  ``UnicodeDecodeError`` there and ended the console with status 0. Here the
  incremental decoder replaces such bytes, and the first time it happens the
  log says so (once: a Latin-1 terminal sends them with every accent).
* **A terminal that goes away ends the console.** On end of input, EIO, or
  when the process that started us is gone, the driver posts
  ``TerminalClosed`` to the App, which closes its services and exits. Before,
  the input thread read end-of-input in a tight loop (a whole core) and the
  console kept polling SteVe with nobody to see it: under ``make run`` the
  kernel's SIGHUP reaches only ``make``, the session leader.
* **Writes to a gone terminal are dropped.** Textual's writer thread died on
  the first EIO; the App then blocked forever on its full write queue, so it
  could not even exit.
"""

from __future__ import annotations

import codecs
import errno
import logging
import os
import selectors
import threading
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger(__name__)

READ_SIZE = 4096
POLL_SECONDS = 0.1
"""How often the input thread checks for exit and for a gone parent (as Textual does)."""

REPLACEMENT = "\ufffd"
REPLACEMENT_UTF8 = REPLACEMENT.encode()


class TerminalClosed(Message):
    """The terminal is gone (end of input, EIO, or our parent died): time to exit."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class TerminalOutput:
    """The terminal's output file, which drops writes once the terminal is gone.

    The driver's writer thread calls ``write``/``flush``; an ``OSError`` there
    (EIO after a hangup) would kill that thread and leave the App blocked on a
    full queue. Instead the first error is reported and later writes vanish.
    """

    def __init__(self, file: IO[str], on_gone: Callable[[str], None]) -> None:
        self._file = file
        self._on_gone = on_gone
        self._gone = False

    def _failed(self, error: OSError) -> None:
        if not self._gone:
            self._gone = True
            self._on_gone(f"writing to the terminal failed ({error.strerror or error})")

    def write(self, text: str) -> int:
        if not self._gone:
            try:
                return self._file.write(text)
            except OSError as error:
                self._failed(error)
        return len(text)

    def flush(self) -> None:
        if not self._gone:
            try:
                self._file.flush()
            except OSError as error:
                self._failed(error)

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return self._file.isatty()


class PolarisDriver(LinuxDriver):
    """``LinuxDriver`` with forgiving input decoding and an exit when the terminal goes."""

    def __init__(self, app: App[Any], **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._parent_pid = os.getppid()
        self._closed_lock = threading.Lock()
        self._closed_reported = False
        self._bad_input_logged = False
        if self._file is not None:
            self._file = TerminalOutput(self._file, self._terminal_closed)  # type: ignore[assignment]

    def _terminal_closed(self, reason: str) -> None:
        """Tell the App once; called from the input or the writer thread."""
        with self._closed_lock:
            if self._closed_reported:
                return
            self._closed_reported = True
        self._app.post_message(TerminalClosed(reason))

    def _note_bad_input(self, data: bytes, text: str) -> None:
        # A U+FFFD the operator really typed arrives as its three UTF-8 bytes;
        # any other one in the text stands for bytes the decoder replaced.
        if self._bad_input_logged or text.count(REPLACEMENT) <= data.count(REPLACEMENT_UTF8):
            return
        self._bad_input_logged = True
        log.warning(
            "the terminal sent bytes that are not UTF-8; they are shown as %s. "
            "Set the terminal to UTF-8 (PuTTY: Window > Translation). Logged once.",
            REPLACEMENT,
        )

    def run_input_thread(self) -> None:
        """Read the terminal, decode leniently, feed Textual's parser; stop when it is gone."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        parser = XTermParser(self._debug)
        selector = selectors.SelectSelector()  # what Textual uses for a tty
        selector.register(self.fileno, selectors.EVENT_READ)
        try:
            while not self.exit_event.is_set():
                if os.getppid() != self._parent_pid:
                    self._terminal_closed("the process that started Polaris is gone")
                    return
                if selector.select(POLL_SECONDS):
                    try:
                        data = os.read(self.fileno, READ_SIZE)
                    except OSError as error:
                        if error.errno in (errno.EINTR, errno.EAGAIN):
                            continue
                        self._terminal_closed(f"reading the terminal failed ({error.strerror})")
                        return
                    if not data:
                        self._terminal_closed("the terminal reached end of input")
                        return
                    text = decoder.decode(data)
                    self._note_bad_input(data, text)
                    for event in parser.feed(text):
                        self.process_message(event)
                for event in parser.tick():
                    self.process_message(event)
        finally:
            selector.close()
