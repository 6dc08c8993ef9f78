"""The settings' attribute docstrings, read from their source when asked.

Each setting is documented by the docstring under it. Pydantic's
``use_attribute_docstrings`` read them at class creation, on every start:
``inspect`` resolved the real path of every loaded module to find each
class's source, ~50-70 ms of the console's CPU before its first frame,
for text that only the generated configuration reference (README) shows.
It reads them here instead, from the module's syntax tree.
"""

from __future__ import annotations

import ast
import inspect
import sys
from functools import cache
from pathlib import Path


def attribute_docs(model: type) -> dict[str, str]:
    """``{field: docstring}`` of ``model`` and the classes it inherits from
    (a subclass's docstring wins), cleaned as ``inspect.cleandoc`` does."""
    docs: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        docs.update(_class_docs(klass))
    return docs


@cache
def _class_docs(klass: type) -> dict[str, str]:
    """The docstrings under the annotated assignments of a top-level class."""
    module = sys.modules.get(klass.__module__)
    filename = getattr(module, "__file__", None)
    if not filename or not filename.endswith(".py"):
        return {}  # builtins, pydantic's compiled parts: nothing to document
    tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == klass.__qualname__:
            return _docs_in(node.body)
    return {}


def _docs_in(body: list[ast.stmt]) -> dict[str, str]:
    docs: dict[str, str] = {}
    for statement, following in zip(body, body[1:], strict=False):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = inspect.cleandoc(following.value.value)
    return docs
