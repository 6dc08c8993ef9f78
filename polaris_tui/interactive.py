"""Whether the console can run here: a terminal it can draw on and read keys from.

Textual drew full truecolor on ``TERM=dumb`` (Emacs shell buffers, some CI
runners) and, with no TTY (cron, a pipe, ``ssh host polaris``), sent escape
codes to stderr and kept running with nobody able to type. The console now
refuses both with one line and exit status 2; the read-only commands
(``polaris fleet|stuck|ops|card``) never need a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

NOT_INTERACTIVE_STATUS = 2
SCRIPTING_HINT = "for scripts use `polaris fleet|stuck|ops|card --json`"


def why_not_interactive(
    environ: dict[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> str | None:
    """One line saying why the console cannot run here, or None when it can."""
    env = os.environ if environ is None else environ
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    term = env.get("TERM", "")
    if term == "dumb":
        return (
            "polaris: TERM=dumb cannot draw the console; run it in a terminal emulator "
            f"(e.g. TERM=xterm-256color), or {SCRIPTING_HINT}"
        )
    missing = [name for name, f in (("stdin", stdin), ("stdout", stdout)) if not _is_tty(f)]
    if missing:
        return (
            f"polaris: the console needs a terminal, but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not one; {SCRIPTING_HINT}"
        )
    return None


def _is_tty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed or detached
        return False
