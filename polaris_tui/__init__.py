"""Polaris: a keyboard-driven terminal console for EV-charging NOC operators.

The version check runs before anything else is imported, so an older Python
says what it needs instead of failing on syntax or a missing module
(``tomllib``, ``enum.StrEnum`` and ``datetime.UTC`` are 3.11). Keep this file
parseable by old Pythons: no newer syntax here.
"""

import sys

MIN_PYTHON = (3, 11)


def require_python(version_info=sys.version_info):  # untyped on purpose: old-Python safe
    """Exit with one clear line when ``version_info`` is older than ``MIN_PYTHON``."""
    if tuple(version_info[:2]) < MIN_PYTHON:
        found = ".".join(str(part) for part in version_info[:3])
        wanted = f"{MIN_PYTHON[0]}.{MIN_PYTHON[1]}"
        raise SystemExit(
            f"polaris needs Python {wanted}+ (this is Python {found}); install it with "
            f"a newer Python, e.g. pipx install --python python{wanted} ."
        )


require_python()
