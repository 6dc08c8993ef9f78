"""The Remote operations form, generated from the operations' params models.

The picker offers exactly the names of ``OPERATION_PARAMS`` (the service's
allowlist) and nothing else. Each operation's fields come from its pydantic
model (title, description, default, required), so a new param in the service
appears here without UI code. Values are filled from context (transactionId
and connector from the current session). Dry run starts ON.

The form validates nothing itself: it hands strings (or ints, lists, bools)
to the screen, the service validates with the same model, and any field
errors come back to ``show_field_errors``. It never sends anything: it posts
``Submitted`` and the screen decides (confirmation, app-level worker).

Its widgets are mounted just after the page's first frame (``ensure_built``):
they are about a third of the charger page, and styling, laying out and
drawing them before that frame delayed Live status and Current session.
Until then the form keeps their height, so nothing below it moves. Whatever
needs the widgets earlier (``o``, a follow-up filling the form) awaits
``ensure_built``, which mounts them at once.
"""

from __future__ import annotations

import asyncio
import enum
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from textual import on
from textual.app import RenderResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from polaris_tui.widgets.safe_text import clean

DRY_RUN_ON = "Dry run: ON (nothing is sent)"
DRY_RUN_OFF = "Dry run: OFF (sends to SteVe)"
"""The toggle says its state in words: a checkbox's colour alone is lost on some terminals."""

# Which context value fills which field, by SteVe's camelCase field name.
CONTEXT_FIELDS = ("transactionId", "connectorId", "idTag")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, optional?) for ``X | None`` / ``Optional[X]``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation, False


def field_choices(annotation: Any) -> list[str] | None:
    """The allowed values of a Literal or Enum field, else None."""
    inner, _ = _unwrap(annotation)
    if typing.get_origin(inner) is Literal:
        return [str(v) for v in typing.get_args(inner)]
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return [str(m.value) for m in inner]
    return None


def field_kind(annotation: Any) -> str:
    """One of ``choice``, ``bool``, ``list``, ``int``, ``float``, ``datetime``, ``text``."""
    if field_choices(annotation) is not None:
        return "choice"
    inner, _ = _unwrap(annotation)
    origin = typing.get_origin(inner)
    if inner is bool:
        return "bool"
    if origin in (list, tuple, set) or inner in (list, tuple, set):
        return "list"
    if inner is int:
        return "int"
    if inner is float:
        return "float"
    if inner is datetime:
        return "datetime"
    return "text"


def _default(info: FieldInfo) -> Any:
    if info.is_required():
        return None
    default = info.get_default(call_default_factory=True)
    return None if default is None else default


class OperationForm(Widget):
    """Operation picker, generated fields, Dry run toggle and Submit."""

    DEFAULT_CSS = """
    OperationForm { height: auto; }
    OperationForm.-building { height: 7; }
    OperationForm #op-fields { height: auto; }
    OperationForm .op-field { height: auto; }
    OperationForm .op-label { width: 18; padding-right: 1; }
    OperationForm .op-help { color: $text-muted; }
    OperationForm .op-error { color: $error; display: none; }
    OperationForm .op-error.-shown { display: block; }
    OperationForm #op-actions { height: auto; margin-top: 1; }
    OperationForm Checkbox { border: none; height: 1; padding: 0 1; margin-right: 2; }
    OperationForm Checkbox:focus { border: none; background: $accent 40%; }
    OperationForm Checkbox.-live { color: $warning; text-style: bold; }
    OperationForm #op-note { color: $warning; }
    """

    busy: reactive[bool] = reactive(False)
    """A request is in flight: Submit is disabled until the answer arrives."""

    class Submitted(Message):
        """The operator pressed Submit (one press = one message)."""

        def __init__(self, operation: str, params: dict[str, Any], dry_run: bool) -> None:
            super().__init__()
            self.operation = operation
            self.params = params
            self.dry_run = dry_run

    def __init__(
        self,
        models: Mapping[str, type[BaseModel]],
        *,
        can_submit: bool = True,
        initial: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.models = dict(models)
        """The allowlist: operation name → params model."""
        self.can_submit = can_submit
        """False for a viewer: the form is shown, Submit is disabled."""
        self.operation: str = (
            initial
            if initial in self.models
            else (
                "RemoteStopTransaction"
                if "RemoteStopTransaction" in self.models
                else next(iter(self.models), "")
            )
        )
        self.context: dict[str, Any] = {}
        self._pinned: dict[str, Any] = {}
        """Values a follow-up put in the form (the way back's idTag): the page's
        re-read, which has no session any more, must not empty them."""
        self._prefilled: dict[str, str] = {}
        self._refocus = False
        self.built = False
        """Whether the form's widgets are mounted (see ``ensure_built``)."""
        self._building = asyncio.Lock()
        self.add_class("-building")  # keeps the built form's height meanwhile

    def on_mount(self) -> None:
        # No compose: the widgets come after the page's first frame.
        self.call_after_refresh(self.ensure_built)

    def render(self) -> RenderResult:
        if not self.built:
            return Content("")  # blank until built (Textual would print the widget's name)
        return super().render()

    async def ensure_built(self) -> None:
        """Mount the form's widgets now, unless they are (once, however many ask)."""
        async with self._building:
            if self.built or not self.is_attached:
                return
            note = Static(Content(""), id="op-note")
            if not self.can_submit:
                note.update(
                    Content("Viewer role: you can see this form but not submit operations.")
                )
            await self.mount_all(
                [
                    Select(
                        [(Content(name), name) for name in self.models],
                        value=self.operation,
                        allow_blank=False,
                        compact=True,
                        id="op-picker",
                    ),
                    Vertical(*self._field_widgets(), id="op-fields"),
                    Horizontal(
                        Checkbox(Content(DRY_RUN_ON), value=True, id="op-dry-run"),
                        Button(Content("Submit"), id="op-submit", variant="primary", compact=True),
                        id="op-actions",
                    ),
                    note,
                ]
            )
            self.built = True
            self._sync_button()
            self.remove_class("-building")

    # -- fields -------------------------------------------------------------
    def _model(self) -> type[BaseModel] | None:
        return self.models.get(self.operation)

    async def _build_fields(self) -> None:
        container = self.query_one("#op-fields", Vertical)
        await container.remove_children()
        await container.mount_all(self._field_widgets())

    def _field_widgets(self) -> list[Widget]:
        """The current operation's field rows, help lines and error lines."""
        model = self._model()
        if model is None:
            return []
        self._prefilled = {}
        widgets: list[Widget] = []
        for name, info in model.model_fields.items():
            alias = info.alias or name
            label = info.title or alias
            kind = field_kind(info.annotation)
            required = info.is_required()
            default = _default(info)
            prefill = self._context_value(alias)
            field_widget: Widget
            if kind == "choice":
                choices = field_choices(info.annotation) or []
                initial = prefill if prefill is not None else default
                # Blank allowed even when required: nothing is chosen for the
                # operator, and the service names a missing choice.
                field_widget = Select(
                    [(Content(c), c) for c in choices],
                    value=str(initial)
                    if initial is not None and str(initial) in choices
                    else Select.NULL,
                    allow_blank=True,
                    prompt="choose…",
                    compact=True,
                    id=f"field-{alias}",
                )
            elif kind == "bool":
                field_widget = Checkbox(Content(""), value=bool(default), id=f"field-{alias}")
            else:
                text = ""
                if prefill is not None:
                    # An Input shows control bytes raw: show the cleaned value,
                    # and send the raw one while the field still holds it.
                    text = clean(prefill, limit=200)
                    self._prefilled[alias] = text
                elif default is not None and kind != "list":
                    text = default.isoformat() if isinstance(default, datetime) else str(default)
                placeholder = {
                    "list": "comma separated",
                    "datetime": "ISO time, e.g. 2026-11-22T10:30:00Z",
                    "int": "a whole number",
                }.get(kind, "")
                field_widget = Input(
                    value=text,
                    placeholder=placeholder,
                    type="integer" if kind == "int" else ("number" if kind == "float" else "text"),
                    compact=True,
                    id=f"field-{alias}",
                )
            row = Horizontal(
                Label(Content(f"{label}{' *' if required else ''}"), classes="op-label"),
                field_widget,
                classes="op-field",
            )
            widgets.append(row)
            if info.description:
                widgets.append(Static(Content(info.description), classes="op-help"))
            widgets.append(Static(Content(""), id=f"error-{alias}", classes="op-error"))
        if not widgets:
            widgets.append(Static(Content("This operation has no parameters."), classes="op-help"))
        return widgets

    def _context_value(self, alias: str) -> Any:
        return self.context.get(alias)

    def set_context(self, context: Mapping[str, Any]) -> None:
        """Fill fields from context (the current session), without overwriting edits."""
        self.context = {k: v for k, v in context.items() if v is not None} | self._pinned
        for alias in CONTEXT_FIELDS:
            try:
                widget = self.query_one(f"#field-{alias}")
            except NoMatches:  # the field is not in this operation
                continue
            if not isinstance(widget, Input):
                continue
            new = "" if alias not in self.context else clean(self.context[alias], limit=200)
            # Only replace what we filled ourselves (or an empty field).
            if widget.value in ("", self._prefilled.get(alias)):
                widget.value = new
                self._prefilled[alias] = new

    async def select_operation(
        self, operation: str, values: Mapping[str, Any] | None = None
    ) -> None:
        """Switch to ``operation`` and fill ``values`` (e.g. a follow-up Unlock).

        Returns once the new fields are mounted, so the caller can fill them:
        the picker's change message alone would build them later, and on a
        busy machine a field set before its Select had composed raised
        NoMatches '#label'.
        """
        if operation not in self.models:
            return
        await self.ensure_built()
        self._pinned = dict(values or {})
        if values:
            self.context = {**self.context, **values}
        if operation != self.operation:
            self.operation = operation
            await self._build_fields()
            self.show_field_errors({})
        # The change message then finds the operation current: no second build.
        self.query_one("#op-picker", Select).value = operation

    @on(Checkbox.Changed, "#op-dry-run")
    def _dry_run_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        event.checkbox.label = Content(DRY_RUN_ON if event.value else DRY_RUN_OFF)
        event.checkbox.set_class(not event.value, "-live")

    @on(Select.Changed, "#op-picker")
    async def _operation_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.operation:
            self.operation = event.value
            self._pinned = {}  # the operator picked another operation
            await self._build_fields()
            self.show_field_errors({})
            self.dry_run = True  # a new operation starts as a dry run

    # -- values and errors ----------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The params as typed: empty fields are left out (the model's default applies)."""
        model = self._model()
        if model is None:
            return {}
        out: dict[str, Any] = {}
        for name, info in model.model_fields.items():
            alias = info.alias or name
            kind = field_kind(info.annotation)
            widget = self.query_one(f"#field-{alias}")
            if isinstance(widget, Checkbox):
                out[alias] = widget.value
            elif isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    out[alias] = widget.value
            elif isinstance(widget, Input):
                text = widget.value.strip()
                if not text:
                    continue
                if alias in self.context and text == self._prefilled.get(alias):
                    out[alias] = self.context[alias]  # the raw value behind the cleaned text
                    continue
                if kind == "list":
                    out[alias] = [part.strip() for part in text.split(",") if part.strip()]
                elif kind == "int":
                    try:
                        out[alias] = int(text)
                    except ValueError:
                        out[alias] = text  # the service names the field error
                else:
                    out[alias] = text
        return out

    @property
    def dry_run(self) -> bool:
        if not self.built:
            return True  # the toggle starts ON
        return self.query_one("#op-dry-run", Checkbox).value

    @dry_run.setter
    def dry_run(self, value: bool) -> None:
        if not self.built:
            # Nothing turns it off before the form is built: every path to
            # Submit (``o``, a follow-up) builds it first. ON is how it starts.
            assert value, "dry run OFF on a form not built yet"  # noqa: S101
            return
        self.query_one("#op-dry-run", Checkbox).value = value

    def show_field_errors(self, errors: Mapping[str, str]) -> None:
        """Show each field's error under it (and clear the others)."""
        for widget in self.query(".op-error"):
            alias = (widget.id or "").removeprefix("error-")
            message = errors.get(alias)
            if isinstance(widget, Static):
                widget.update(Content(clean(message)) if message else Content(""))
            widget.set_class(bool(message), "-shown")

    # -- submit ---------------------------------------------------------------
    def watch_busy(self, busy: bool) -> None:
        try:
            button = self.query_one("#op-submit", Button)
        except NoMatches:  # not composed yet
            return
        if busy:
            # Disabling the focused button moves focus away: bring it back after.
            self._refocus = button.has_focus
        self._sync_button()
        if not busy and self._refocus:
            self._refocus = False
            button.focus()

    def _sync_button(self) -> None:
        try:
            button = self.query_one("#op-submit", Button)
        except NoMatches:  # not composed yet
            return
        button.disabled = self.busy or not self.can_submit
        button.label = Content("Sending…" if self.busy else "Submit")

    @on(Button.Pressed, "#op-submit")
    def _submit(self, event: Button.Pressed) -> None:
        event.stop()
        if self.busy or not self.can_submit:
            return
        self.show_field_errors({})
        # Busy at once: a second press before the answer does nothing. The
        # screen clears it when the answer arrives or the confirmation is declined.
        self.busy = True
        self.post_message(self.Submitted(self.operation, self.values(), self.dry_run))
