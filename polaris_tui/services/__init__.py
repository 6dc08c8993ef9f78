"""The services: everything Polaris does, without Textual or Rich."""

import sys

# httpx imports its optional command line (click, rich's progress bars,
# pygments) whenever click happens to be installed: ~80 ms of CPU at every
# start, for a command Polaris never runs. Marked absent, httpx skips it
# (its own ``except ImportError``); where click is not installed nothing
# changes. The tests' import check blocks it the same way.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
