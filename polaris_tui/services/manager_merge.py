"""The merge of vanilla SteVe's two manager pages: the overview's stations
completed with the connector-status page's connectors and offline marks."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from polaris_tui.models import ChargeBox, StatusSource
from polaris_tui.services.page_delta import merge_again, merge_layout
from polaris_tui.services.page_memo import MergeMemo


def is_json_protocol(protocol: str | None) -> bool:
    """``ocpp1.6J`` and the like: OCPP-J stations, which SteVe marks when disconnected."""
    return bool(protocol) and protocol.strip().upper().endswith("J")  # type: ignore[union-attr]


def _merge(box: ChargeBox, found: ChargeBox) -> ChargeBox:
    online = box.online
    if online is None:
        if found.online is False:
            online = False
        elif is_json_protocol(box.ocpp_protocol):
            online = True
    return box.model_copy(
        update={
            "connectors": box.connectors or found.connectors,
            "online": online,
            "source": box.source if box.connectors else StatusSource.MANAGER_PAGE,
            "charge_box_pk": box.charge_box_pk or found.charge_box_pk,
        }
    )


def complete_with_status(
    base: list[ChargeBox], status: list[ChargeBox], memo: MergeMemo | None = None
) -> list[ChargeBox]:
    """Stations from ``base`` (the overview page or the fork's plain list)
    completed with connectors and offline marks from the connector-status page.

    ``online``: what ``base`` says if it knows; else False for a marked station;
    else True for an OCPP-J station on the status page without the mark (SteVe
    would have marked it); else None. Stations only on the status page are
    added at the end. ``memo``: the last merge; a station whose two models
    are those it merged keeps its merged model.
    """
    if memo is not None:
        again = merge_again(
            memo.layout, base, status, partial(memo.merged, merge=_merge), memo.found
        )
        if again is not None:
            memo.layout = replace(memo.layout, base=list(base), status=list(status), merged=again)
            return again
    by_id = {b.charge_box_id: b for b in status}
    merged: list[ChargeBox] = []
    with_status: set[str] = set()
    for box in base:
        found = by_id.pop(box.charge_box_id, None)
        if found is None:
            merged.append(box)
        elif memo is None:
            merged.append(_merge(box, found))
        else:
            with_status.add(box.charge_box_id)
            merged.append(memo.merged(box, found, _merge))
    merged.extend(by_id.values())
    if memo is not None:
        # Only this merge's pairs stay: ``found`` must not name a status a
        # station no longer has.
        memo.forget_except(with_status)
        memo.layout = merge_layout(base, status, merged)
    return merged
