"""Layering, checked: services never pull in the UI, and Polaris and the stand-in
never import each other (except the CLI launching the demo)."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import polaris_tui.services

ROOT = Path(__file__).resolve().parents[2]
POLARIS = ROOT / "polaris_tui"
CHARGESIM = ROOT / "chargesim"


def service_modules() -> list[str]:
    return sorted(
        f"polaris_tui.services.{m.name}"
        for m in pkgutil.iter_modules(polaris_tui.services.__path__)
    )


def test_there_are_service_modules_to_check():
    assert {"polaris_tui.services.poller", "polaris_tui.services.steve_client"} <= set(
        service_modules()
    )


# httpx loads its optional command line (click + rich) whenever those are
# installed, and the lint tools install them. Blocking that one module keeps
# the check about Polaris' own imports.
NO_HTTPX_CLI = "import sys\nsys.modules['httpx._main'] = None\n"


def test_services_do_not_import_textual_or_rich():
    code = NO_HTTPX_CLI + (
        "import importlib, json, sys\n"
        f"for name in {service_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "ui = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(json.dumps(ui))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def imported_modules(path: Path) -> set[str]:
    """Modules a file imports (absolute imports, anywhere in the file, including
    ``importlib.import_module("x")`` with a literal name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(
            node.func, "attr", getattr(node.func, "id", "")
        ) in (
            "import_module",
            "__import__",
        ):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.add(arg.value)
    return names


def imported_roots(path: Path) -> set[str]:
    """Top-level packages a file imports."""
    return {name.split(".")[0] for name in imported_modules(path)}


def test_polaris_never_imports_chargesim_outside_the_cli():
    offenders = [
        str(path.relative_to(ROOT))
        for path in POLARIS.rglob("*.py")
        if path.name != "cli.py" and "chargesim" in imported_roots(path)
    ]
    assert offenders == []


def test_chargesim_never_imports_polaris():
    files = list(CHARGESIM.rglob("*.py"))
    assert files
    offenders = [str(p.relative_to(ROOT)) for p in files if "polaris_tui" in imported_roots(p)]
    assert offenders == []


def test_screens_and_widgets_do_not_import_clients_or_io():
    forbidden = {"httpx", "aiosqlite", "chargesim"}
    clients = (
        "polaris_tui.services.steve_",  # the client and its transport, pages, wire
        "polaris_tui.services.http_body",
        "polaris_tui.services.lago_client",
        "polaris_tui.services.store",
        "polaris_tui.store",
    )
    offenders = []
    for folder in ("screens", "widgets"):
        for path in (POLARIS / folder).rglob("*.py"):
            modules = imported_modules(path)
            bad = {m.split(".")[0] for m in modules} & forbidden
            bad |= {m for m in modules if m.startswith(clients)}
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_the_scanner_sees_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    from chargesim.sim import Sim\n    import importlib\n    importlib.import_module('textual.app')\n"
    )
    assert {"chargesim", "importlib", "textual"} <= imported_roots(probe)


def test_the_service_contract_loads_no_client_or_driver():
    """Screens name the service Protocols; that must not pull in httpx or aiosqlite."""
    code = NO_HTTPX_CLI + (
        "import json, sys\n"
        "import polaris_tui.services.contract\n"
        "heavy = sorted(m for m, mod in sys.modules.items() if mod is not None "
        "and m.split('.')[0] in ('httpx', 'aiosqlite', 'aiohttp', 'textual', 'rich'))\n"
        "print(json.dumps(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_store_package_is_below_the_services():
    """polaris_tui/store may import the models (error types included), itself
    and the releaser (standard library only, below everything), never a
    service, the app or the UI."""
    allowed = ("polaris_tui.models", "polaris_tui.store", "polaris_tui.release")
    offenders = []
    for path in (POLARIS / "store").rglob("*.py"):
        for name in imported_modules(path):
            if name.split(".")[0] in ("textual", "rich"):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
            elif name.startswith("polaris_tui") and not name.startswith(allowed):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
    assert not [n for n in imported_modules(POLARIS / "release.py") if n.startswith("polaris_tui")]
