"""``python -m polaris_tui``: the same as the ``polaris`` command."""

from polaris_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
