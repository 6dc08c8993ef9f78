"""Issue 16, item 1: one sanitiser at the edge, proven on every model and widget.

Generated text — ordinary characters mixed with OSC 0/52/8, ``ESC [2J``,
SGR, C0 and C1 controls, bidi overrides, zero-width characters and markup —
goes into every string field of every answer model (SteVe, Lago, station,
store and operator data, and the views built from them). Then:

* the models: every field typed ``CleanText`` holds no control character
  once the model is built, and serialising the model gives back the raw
  value (what the store keeps);
* the widgets: every widget that shows these models is mounted in a real
  App, fed the generated models through its public ``show`` methods, and
  the bytes the App's driver would write for the whole screen are checked:
  the only escape sequences in them are Textual's own colours and cursor
  moves, and no C0/C1, bidi or zero-width character from data is there.
"""

from __future__ import annotations

import asyncio
import enum
import re
import types
import typing
from datetime import datetime
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static

from polaris_tui import models
from polaris_tui.models import (
    AuditEntry,
    CardRow,
    CardView,
    ChargerDetail,
    ChargerRow,
    FleetCounts,
    OperationLogEntry,
    OperationStatus,
    outcomes,
)
from polaris_tui.models import sessions as session_models
from polaris_tui.screens.audit_log import COLUMNS as AUDIT_COLUMNS
from polaris_tui.screens.audit_log import entry_cells
from polaris_tui.text_clean import CLEANED, INVISIBLE, KEPT, KEY, Cleaned, is_clean
from polaris_tui.widgets.card_header import CardHeader
from polaris_tui.widgets.card_record import CardRecord
from polaris_tui.widgets.card_relations import CardRelations
from polaris_tui.widgets.card_sessions import CardSessions
from polaris_tui.widgets.card_table import CardTable
from polaris_tui.widgets.card_verdict import CardVerdict
from polaris_tui.widgets.columns import add_columns
from polaris_tui.widgets.counts_strip import CountsStrip
from polaris_tui.widgets.detail_panels import LiveStatusPanel, SessionPanel
from polaris_tui.widgets.fleet_table import FleetTable
from polaris_tui.widgets.operation_outcome import describe_entry
from polaris_tui.widgets.operations_table import OperationsTable
from polaris_tui.widgets.scan_panel import ScanPanel
from tests.conftest import FROZEN_NOW

PIECES = [
    "\x1b]0;pwned\x07",
    "\x1b]52;c;cm0gLXJmIH4K\x1b\\",
    "\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\",
    "\x1b[2J",
    "\x1b[31m",
    "\x1b",
    "\x9b2J",
    "\x9d0;x\x9c",
    "\x00",
    "\x7f",
    "\r",
    "\t",
    "\n",
    "\u202e",
    "\u200b",
    "\ufeff",
    "[/]",
    "[@click=app.quit]x",
    "CP-01",
    "Accepted",
]
TEXT = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), min_size=1, max_size=5
).map("".join)
"""Hostile or ordinary text: fragments of terminal controls and markup, or anything."""
KEYS = st.one_of(
    st.sampled_from(["summary", "outcome", "station_answer", "transactionId", "idTag"]),
    st.sampled_from(["summary", "error_title", "error_message", "successResponses"]),
    TEXT,
)
"""Keys of free-form data: often the ones Polaris reads (an operation's result summary)."""

ANSWER_MODELS: list[type[BaseModel]] = list(
    {
        cls: None
        for module in (models, outcomes, session_models)
        for cls in vars(module).values()
        # The models package re-exports its submodules' classes: take every one
        # defined under it, except the operator's own typed params.
        if isinstance(cls, type)
        and issubclass(cls, BaseModel)
        and cls.__module__.startswith("polaris_tui.models")
        and cls.__module__ != "polaris_tui.models.operations"
    }
)
"""Every model of what arrives (answers, store rows) and of the views built from it.
(``models.operations`` holds the operator's own params, validated and sent as typed.)"""


# -- building models full of generated text ------------------------------------------


def _value(annotation: Any, draw: Any, depth: int) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _value(next(a for a in args if a is not type(None)), draw, depth)
    if origin is typing.Annotated:
        return _value(args[0], draw, depth)
    if annotation is str:
        return draw(TEXT)
    if annotation is Any:
        return draw(st.one_of(TEXT, st.dictionaries(TEXT, TEXT, max_size=2)))
    if origin is dict:
        return draw(st.dictionaries(KEYS, TEXT, min_size=1, max_size=2))
    if origin is list:
        return [] if depth > 1 else [_value(args[0], draw, depth + 1)]
    if origin is Literal:
        return draw(st.sampled_from(args))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return draw(st.sampled_from(list(annotation)))
    if annotation is bool:
        return draw(st.booleans())
    if annotation is int:
        return draw(st.integers(0, 3))
    if annotation is float:
        return 1.5
    if annotation is datetime:
        return FROZEN_NOW
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _fill(annotation, draw, depth + 1)
    raise AssertionError(f"no generator for {annotation!r}")


def _fill(cls: type[BaseModel], draw: Any, depth: int = 0) -> BaseModel:
    values = {name: _value(f.annotation, draw, depth) for name, f in cls.model_fields.items()}
    return cls.model_validate(values)


@st.composite
def filled(draw: Any, cls: type[BaseModel]) -> BaseModel:
    return _fill(cls, draw)


# -- the models -------------------------------------------------------------------------


def _string_fields(cls: type[BaseModel]) -> dict[str, Any]:
    """Fields whose type holds ``str`` or free-form data, with their role marker."""
    found = {}
    for name, field in cls.model_fields.items():
        text = repr(field.annotation)
        if "str" in text or "Any" in text:
            roles = [m for m in field.metadata if m in (CLEANED, KEY, KEPT)]
            inner = [
                m
                for a in typing.get_args(field.annotation)
                for m in getattr(a, "__metadata__", ())
                if m in (CLEANED, KEY, KEPT)
            ]
            found[name] = (roles + inner or [None])[0]
    return found


def test_every_string_field_of_every_model_says_how_it_is_cleaned() -> None:
    """CleanText (cleaned when built), Key or Kept (raw: they address or restore
    outside data; cleaned where shown). A new field cannot slip through untyped."""
    untyped = [
        f"{cls.__name__}.{name}"
        for cls in ANSWER_MODELS
        for name, role in _string_fields(cls).items()
        if role is None
    ]
    assert untyped == []


def _cleaned_values(model: BaseModel) -> list[tuple[str, Any]]:
    out = []
    for name, role in _string_fields(type(model)).items():
        value = getattr(model, name)
        if role is CLEANED:
            out.append((f"{type(model).__name__}.{name}", value))
    for name in type(model).model_fields:
        value = getattr(model, name)
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, BaseModel):
                out += _cleaned_values(child)
    return out


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.parametrize("cls", ANSWER_MODELS, ids=lambda cls: cls.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_models_clean_outside_text_and_keep_the_raw_value(cls: type[BaseModel], data: Any) -> None:
    model = data.draw(filled(cls))
    for where, value in _cleaned_values(model):
        for text in _strings(value):
            assert is_clean(text), f"{where} holds a control character: {text!r}"
    # What the store writes is what arrived; rebuilding cleans it again.
    again = cls.model_validate(model.model_dump())
    assert again == model
    dumped = model.model_dump_json()
    assert all(not isinstance(s, Cleaned) for s in _strings(model.model_dump(mode="json"))), (
        cls.__name__
    )
    assert cls.model_validate_json(dumped) == model


# -- the widgets, and the bytes the driver writes -----------------------------------------

OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*[mH]")
"""Textual's own output: colours (SGR) and cursor moves (CUP). Nothing else."""
FROM_DATA = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f" + "".join(re.escape(chr(c)) for c in INVISIBLE) + "]"
)
"""What must not be there: controls (a full frame's line breaks are Textual's), C1,
bidi overrides and zero-width characters."""


class Harness(App[None]):
    """Every widget that shows answer models, on one tall screen."""

    CSS = """
    VerticalScroll > * { height: auto; max-height: 24; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield CountsStrip(id="counts")
            yield FleetTable(id="fleet")
            yield LiveStatusPanel(id="live")
            yield SessionPanel(id="session")
            yield ScanPanel("CP-HARNESS", can_act=True, id="scan")
            yield OperationsTable(wide=True, id="ops")
            yield Static("", id="outcome", markup=False)
            yield CardTable(id="cards")
            yield CardHeader(id="header", markup=False)
            yield CardRecord(id="record")
            yield CardRelations(id="relations")
            yield CardSessions(id="sessions")
            yield CardVerdict(id="verdict")
            yield DataTable(id="audit")


async def _screen_bytes(
    rows: list[ChargerRow],
    counts: FleetCounts,
    detail: ChargerDetail,
    entries: list[OperationLogEntry],
    cards: list[CardRow],
    view: CardView,
    audits: list[AuditEntry],
) -> str:
    app = Harness()
    async with app.run_test(size=(160, 400)) as pilot:
        now = FROZEN_NOW
        app.query_one(CountsStrip).show_counts(counts, now, now)
        app.query_one(FleetTable).apply(rows, now)
        app.query_one(LiveStatusPanel).show(detail, now)
        app.query_one(SessionPanel).show(detail, now, stuck_after_minutes=15)
        app.query_one(ScanPanel).show(detail.pairings, detail.intercepts, now, now)
        app.query_one(OperationsTable).show(entries, now)
        outcomes = [
            describe_entry(entry.model_copy(update={"status": status})).content()
            for entry in [*entries, *detail.recent_operations]
            for status in OperationStatus
        ]
        app.query_one("#outcome", Static).update(Content("\n").join(outcomes))
        app.query_one(CardTable).show(cards)
        app.query_one(CardHeader).show(view, now)
        app.query_one(CardRecord).show(view, now, can_edit=True)
        app.query_one(CardRelations).show(view, now)
        app.query_one(CardSessions).show(view, now)
        app.query_one(CardVerdict).show(view.verdict, now, now)
        audit = app.query_one("#audit", DataTable)
        add_columns(audit, AUDIT_COLUMNS)
        for entry in audits:
            audit.add_row(*entry_cells(entry), key=str(entry.id))
        await pilot.pause()
        update = app.screen._compositor.render_update(full=True)
        return update.render_segments(app.console)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a whole App per example: no shrinking
)
@given(
    rows=st.lists(filled(ChargerRow), min_size=1, max_size=2, unique_by=lambda r: r.charge_box_id),
    counts=filled(FleetCounts),
    detail=filled(ChargerDetail),
    entries=st.lists(filled(OperationLogEntry), min_size=1, max_size=2, unique_by=lambda e: e.id),
    cards=st.lists(filled(CardRow), min_size=1, max_size=2, unique_by=lambda c: c.id_tag),
    view=filled(CardView),
    audits=st.lists(filled(AuditEntry), min_size=1, max_size=2, unique_by=lambda a: a.id),
)
@pytest.mark.slow
def test_no_escape_from_data_reaches_the_driver(
    rows: list[ChargerRow],
    counts: FleetCounts,
    detail: ChargerDetail,
    entries: list[OperationLogEntry],
    cards: list[CardRow],
    view: CardView,
    audits: list[AuditEntry],
) -> None:
    written = asyncio.run(_screen_bytes(rows, counts, detail, entries, cards, view, audits))
    assert "CountsStrip" not in written  # sanity: this is terminal output, not a tree dump
    rest = OWN_SEQUENCES.sub("", written)
    found = sorted({f"U+{ord(ch):04X}" for ch in FROM_DATA.findall(rest)})
    assert found == [], f"control characters from data reached the terminal: {found}"
