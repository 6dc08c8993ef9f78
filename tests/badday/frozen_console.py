"""``python -m tests.badday.frozen_console ARGS``: the real ``polaris`` with its clock frozen.

The console's own clock reads ``FROZEN_CONSOLE_AT`` (ISO 8601) and never
moves, as the stand-in's does with ``--frozen``: every age on screen then
stays the same, so any byte the console writes while idle is a repaint of
text that did not change. Everything else is the real entry point on a
real terminal (``cli.main``): only the clock handed to the App differs.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from typing import Any

from polaris_tui import app as app_module
from polaris_tui import cli
from polaris_tui.services.clock import FixedClock

FROZEN_AT_ENV = "FROZEN_CONSOLE_AT"


def main() -> int:
    clock = FixedClock(datetime.fromisoformat(os.environ[FROZEN_AT_ENV]))
    real_make_app = app_module.make_app

    def make_app(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("clock", clock)
        return real_make_app(*args, **kwargs)

    app_module.make_app = make_app  # cli imports it from the module when it runs
    return cli.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
