"""Partial screen updates that send only the dirty cells, not the line up to them.

Written against Textual 8.2.8 (pinned exactly in ``pyproject.toml``): it
replaces ``ChopsUpdate.render_segments``, so check it again when the pin
moves. Textual crops a dirty region only on its right: a changed cell in
the middle of a widget was sent from the widget's left edge, so one age
ticking in the fleet's Heartbeat column rewrote the ID, Description,
Status... cells before it (~400 B instead of ~40, issue 13). Here each
dirty span is cut on both sides, at character boundaries, so a wide
character is never split into a half the terminal cannot draw.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.strip import Strip

_installed = False


def install() -> None:
    """Make every partial update send only its dirty cells (idempotent)."""
    global _installed
    if not _installed:
        ChopsUpdate.render_segments = _render_dirty_cells  # type: ignore[method-assign]
        _installed = True


def _render_dirty_cells(self: ChopsUpdate, console: Console) -> str:
    """The terminal sequences for the dirty spans: a cursor move and the
    cells of each chop inside a span, nothing outside it."""
    out: list[str] = []
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
            if strip is None or x >= x2 or end <= x1:
                continue
            if x >= x1 and end <= x2:
                start, piece = x, strip
            else:
                left, right = char_bounds(strip, max(x1, x) - x, min(end, x2) - x)
                start, piece = x + left, strip.crop(left, right)
            out.append(Control.move_to(start, y).segment.text)
            out.append(piece.render(console))
    return "".join(out)


def char_bounds(strip: Strip, left: int, right: int) -> tuple[int, int]:
    """``left`` moved left and ``right`` moved right to character boundaries:
    a crop inside a double-width character would send a half of it as a
    space, and the terminal would blank the whole character."""
    boundaries = list(_boundaries(strip))
    new_left = max((b for b in boundaries if b <= left), default=0)
    new_right = min((b for b in boundaries if b >= right), default=strip.cell_length)
    return new_left, new_right


def _boundaries(strip: Strip) -> Iterable[int]:
    position = 0
    yield position
    for segment in strip:
        if segment.control:
            continue
        for char in segment.text:
            position += cell_len(char)
            yield position
