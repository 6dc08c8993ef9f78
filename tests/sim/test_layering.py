"""The stand-in is a separate system: it never loads Polaris, Textual or Rich."""

from __future__ import annotations

import subprocess
import sys


def test_chargesim_loads_no_polaris_and_no_ui():
    probe = (
        "import sys, chargesim.server, chargesim.testing, chargesim.__main__\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('polaris_tui', 'textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_ocpp_is_imported_only_when_a_charger_connects():
    probe = "import sys, chargesim.server\nprint('ocpp' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
