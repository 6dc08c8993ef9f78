"""Poll answers parsed and validated only where they changed.

At 10,000 chargers a steady poll brings back the same stations, sessions
and cards as the cycle before, give or take a few dozen. Decoding 4.5 MB of
JSON, validating every item with pydantic and building the ``ChargeBox``
models was most of a cycle's CPU and, in a worker thread, long stretches
holding the GIL that the UI thread waited behind.

``ListCache`` cuts a list answer into its items' bytes (``split_items``)
and keeps, per item's bytes, what was made of them: an item whose bytes are
those of the last answer gets the same object back (models are never
changed in place: the poller replaces them), only the others are decoded
and validated. Anything that does not cut cleanly is decoded whole.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from polaris_tui.services.http_body import load_json

W = TypeVar("W")
T = TypeVar("T")


def split_items(body: bytes) -> list[bytes] | None:
    """The items of a JSON array of objects, as bytes, or None when the body
    is not cut this way.

    Each object of one serializer starts with the same first key, and
    ``{"key"`` cannot occur inside a JSON string (its quote would be escaped),
    so the array is cut where its first item's opening recurs. A cut inside
    a nested object leaves a piece that is not one whole object: the caller
    then finds it does not decode and decodes the body whole.
    """
    text = body.strip()
    if not text.startswith(b"[") or not text.endswith(b"]"):
        return None
    inner = text[1:-1].strip()
    if not inner.startswith(b'{"'):
        return None
    end_of_key = inner.find(b'"', 2)
    if end_of_key < 0:
        return None
    marker = inner[: end_of_key + 1]
    starts = []
    at = 0
    while at >= 0:
        starts.append(at)
        at = inner.find(marker, at + 1)
    pieces = []
    for begin, finish in zip(starts, [*starts[1:], len(inner)], strict=True):
        piece = inner[begin:finish].rstrip()
        if finish != len(inner):
            if not piece.endswith(b","):
                return None
            piece = piece[:-1].rstrip()
        pieces.append(piece)
    return pieces


class ListCache(Generic[W, T]):
    """The last list answer of one poll request, item by item.

    Args:
        adapter: validates a list of raw items into wire models ``W``.
    """

    def __init__(self, adapter: TypeAdapter[list[W]]) -> None:
        self._adapter = adapter
        self._items: dict[bytes, T] = {}
        self._epoch: Hashable = None
        self.decoded = 0
        """Items decoded and validated by the last ``parse`` (the rest were reused)."""

    def parse(self, body: bytes, convert: Callable[[W], T], epoch: Hashable = None) -> list[T]:
        """The JSON list ``body`` as converted items, in its order.

        ``convert``: turns a validated wire item into what the caller keeps.
        ``epoch``: what the conversion also depends on (the UTC date, for
        SteVe's "Today at 09:58" heartbeats); a new one forgets every item.

        Raises:
            ValueError, RecursionError: the body is not JSON.
            pydantic.ValidationError: an item that changed is invalid (the
                caller validates the whole answer again for an error that
                names the item's index in the answer).
        """
        if epoch != self._epoch:
            self._items, self._epoch = {}, epoch
        pieces = split_items(body)
        raws = self._decode_changed(pieces) if pieces is not None else None
        if pieces is None or raws is None:
            self._items = {}
            self.decoded = -1
            return [convert(item) for item in self._adapter.validate_python(load_json(body))]
        fresh = iter(self._adapter.validate_python(list(raws.values())))
        kept: dict[bytes, T] = {}
        out: list[T] = []
        for piece in pieces:
            made = kept.get(piece)
            if made is None:
                made = self._items.get(piece) if piece not in raws else convert(next(fresh))
                assert made is not None  # every piece was cached or decoded above
                kept[piece] = made
            out.append(made)
        self._items = kept
        self.decoded = len(raws)
        return out

    def _decode_changed(self, pieces: list[bytes]) -> dict[bytes, Any] | None:
        """The pieces not cached, decoded; None when one is not a whole object."""
        raws: dict[bytes, Any] = {}
        for piece in pieces:
            if piece in self._items or piece in raws:
                continue
            try:
                raw = load_json(piece)
            except (ValueError, RecursionError):
                return None
            if not isinstance(raw, dict):
                return None
            raws[piece] = raw
        return raws
