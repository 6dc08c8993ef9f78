"""The triage verdict: the runbook's four questions, each with its evidence.

One ``VerdictAnswer`` per question, a badge (YES / NO / UNKNOWN) whose colour
says whether that answer is the healthy one (state as a class: ``-healthy``,
``-unhealthy``, ``-unknown``), then the summary and the evidence lines. An
"unknown" answer carries its reason in the summary, as the service wrote it.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, Static

from polaris_tui.models import TriageAnswer, TriageVerdict
from polaris_tui.widgets.safe_text import clean
from polaris_tui.wording import ago

QUESTION_COUNT = 4
"""The runbook's Verify section asks four questions (``TriageVerdict.answers()``)."""


class VerdictAnswer(Horizontal):
    """One question: a coloured badge and the answer's summary and evidence."""

    DEFAULT_CSS = """
    VerdictAnswer { height: auto; }
    VerdictAnswer > .verdict-badge { width: 11; text-align: center; text-style: bold; margin-right: 1; }
    VerdictAnswer.-healthy > .verdict-badge { background: $success; color: $text; }
    VerdictAnswer.-unhealthy > .verdict-badge { background: $error; color: $text; }
    VerdictAnswer.-unknown > .verdict-badge { background: $warning; color: $background; }
    VerdictAnswer > .verdict-body { width: 1fr; height: auto; }
    VerdictAnswer > .verdict-summary { width: 1fr; height: auto; display: none; }
    """

    def compose(self) -> ComposeResult:
        yield Label("…", classes="verdict-badge", markup=False)
        yield Static(Text("…"), classes="verdict-body", markup=False)
        # The answer without its evidence, for a short screen (polaris.tcss):
        # all four answers fit 80x24; ``E`` brings the evidence back.
        yield Static(Text("…"), classes="verdict-summary", markup=False)

    def show(self, answer: TriageAnswer) -> None:
        """Render ``answer`` (all of its text is plain)."""
        self.set_class(answer.healthy is True, "-healthy")
        self.set_class(answer.healthy is False, "-unhealthy")
        self.set_class(answer.healthy is None, "-unknown")
        self.query_one(".verdict-badge", Label).update(Content(answer.answer.upper()))
        body = Text()
        body.append(clean(answer.question, limit=200), style="bold")
        body.append(" — ")
        body.append(clean(answer.summary, limit=400))
        self.query_one(".verdict-summary", Static).update(body.copy())
        for line in answer.evidence:
            body.append("\n  · ", style="dim")
            body.append(clean(line, limit=300))
        self.query_one(".verdict-body", Static).update(body)


class CardVerdict(Vertical):
    """The four answers, in the runbook's order."""

    BORDER_TITLE = "Triage verdict"

    def compose(self) -> ComposeResult:
        for index in range(QUESTION_COUNT):
            yield VerdictAnswer(id=f"verdict-{index}")

    def show(self, verdict: TriageVerdict, computed_at: datetime, now: datetime) -> None:
        """Render ``verdict``, computed at ``computed_at``."""
        for index, answer in enumerate(verdict.answers()):
            self.query_one(f"#verdict-{index}", VerdictAnswer).show(answer)
        self.border_subtitle = Content(f"computed {ago(computed_at, now)}")
