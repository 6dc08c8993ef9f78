"""PITFALLS "Textual runtime" that a reading of the source can prove, for
every file of ``polaris_tui`` (so a new screen cannot bring a trap back):

* ``@work`` / ``run_worker`` default to ``exit_on_error=True`` (one httpx
  timeout in a worker would exit the app): every worker says False;
* ``exclusive=True`` cancels every worker of the same group on the node, and
  the default group is "default": every exclusive worker names its group;
* a worker started on a ``ModalScreen`` is cancelled when the modal closes,
  mid-request: no modal starts workers (mutations go to ``run_mutation``);
* ``notify()`` parses its message as markup unless told: every call says
  ``markup=False``; no ``print()`` in the TUI; no silent ``except``.

And one a real terminal shows: mouse mode turns on any-motion tracking;
``--no-mouse`` must turn it off.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .ptyrun import REPO, WAIT, run_polaris

SOURCES = sorted((REPO / "polaris_tui").rglob("*.py"))


def parsed() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), filename=str(path))) for path in SOURCES]


def keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg is not None}


def is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"


def worker_calls(tree: ast.Module) -> list[ast.Call]:
    """``@work(...)`` decorators and ``run_worker(...)`` calls."""
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Name) and deco.id == "work":
                    calls.append(ast.Call(func=deco, args=[], keywords=[], lineno=deco.lineno))
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "work":
                    calls.append(deco)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "run_worker":
            calls.append(node)
    return calls


def test_there_are_workers_to_check() -> None:
    assert sum(len(worker_calls(tree)) for _, tree in parsed()) >= 5


def test_every_worker_handles_its_own_errors_and_names_its_group() -> None:
    problems = []
    for path, tree in parsed():
        for call in worker_calls(tree):
            kw = keywords(call)
            if not is_false(kw.get("exit_on_error")):
                problems.append(f"{where(path, call)}: exit_on_error=False missing")
            if is_true(kw.get("exclusive")):
                group = kw.get("group")
                if not isinstance(group, ast.Constant) or group.value in (None, "", "default"):
                    problems.append(f"{where(path, call)}: an exclusive worker needs its own group")
    assert problems == []


def test_no_modal_screen_starts_a_worker() -> None:
    problems = []
    modals = []
    for path, tree in parsed():
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            if not any("ModalScreen" in ast.unparse(base) for base in cls.bases):
                continue
            modals.append(cls.name)
            for call in worker_calls(ast.Module(body=cls.body, type_ignores=[])):
                problems.append(f"{where(path, call)}: worker on modal {cls.name}")
    assert {"ConfirmDialog", "CardEditDialog", "HelpScreen"} <= set(modals)
    assert problems == []


def test_every_notify_is_plain_text() -> None:
    problems = []
    for path, tree in parsed():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "notify":
                if not is_false(keywords(node).get("markup")):
                    problems.append(where(path, node))
    assert problems == [], "notify() without markup=False parses its message as markup"


def test_no_print_and_no_silent_except_in_the_tui() -> None:
    problems = []
    for path, tree in parsed():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "print"
                and path.name != "cli.py"  # the CLI prints before and after the UI, to stderr
                # polaris fleet|stuck|ops|card answer on stdout and never start the UI
                and "commands" not in path.parts
            ):
                problems.append(f"{where(path, node)}: print()")
            if isinstance(node, ast.ExceptHandler):
                if node.type is None:
                    problems.append(f"{where(path, node)}: bare except")
                elif (
                    ast.unparse(node.type) in ("Exception", "BaseException")
                    and len(node.body) == 1
                    and isinstance(node.body[0], ast.Pass)
                ):
                    problems.append(f"{where(path, node)}: except Exception: pass")
    assert problems == []


@pytest.mark.parametrize("no_mouse", [False, True], ids=["default", "no-mouse"])
def test_no_mouse_turns_off_any_motion_tracking(tmp_path: Path, no_mouse: bool) -> None:
    args = [
        "--steve-url",
        "http://127.0.0.1:9/steve",
        "--store",
        str(tmp_path / "s.sqlite"),
        "--config",
        str(tmp_path / "none.toml"),
    ]
    if no_mouse:
        args.append("--no-mouse")
    with run_polaris(args, home=tmp_path / "home") as polaris:
        assert polaris.wait_for("SteVe is unreachable", timeout=WAIT)
        polaris.type("q")
        assert polaris.wait(WAIT) == 0
        output = polaris.output
    any_motion = b"\x1b[?1003h" in output
    assert any_motion is not no_mouse
