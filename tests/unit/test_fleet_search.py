"""The fleet search's shortcuts (search texts kept per row, a longer query
searching only the previous matches) give what a search from scratch gives."""

from __future__ import annotations

from polaris_tui.models import ChargerRow, Liveness
from polaris_tui.services.fleet_search import FleetSearch, SessionData
from tests.unit.test_fleet import make_service

NO_SESSIONS = SessionData(transactions=[], customers=[], card_meta={}, tags=[])


def rows(descriptions: dict[str, str | None]) -> dict[str, ChargerRow]:
    return {
        key: ChargerRow(
            charge_box_id=key, description=text, status="Available", liveness=Liveness.ONLINE
        )
        for key, text in descriptions.items()
    }


def scratch(needle: str, fleet: dict[str, ChargerRow]) -> set[str]:
    return {k for k, r in fleet.items() if needle in f"{k}\n{r.description or ''}".casefold()}


def test_typing_narrows_like_a_search_from_scratch() -> None:
    fleet = rows({f"CP-{i:04d}": ("Depot Nord" if i % 3 else None) for i in range(300)})
    search = FleetSearch()
    for query in ("c", "cp", "cp-0", "cp-01", "cp-012", "cp-01", "dep", "depot n", "x"):
        assert search.keys(query, fleet, NO_SESSIONS) == scratch(query, fleet), query


def test_a_poll_renaming_a_charger_is_searched_afresh() -> None:
    search = FleetSearch()
    before = rows({"A": "harbour", "B": "depot"})
    assert search.keys("har", before, NO_SESSIONS) == {"A"}
    after = rows({"A": "depot", "B": "harbour"})  # the next poll's rows (a new mapping)
    assert search.keys("harb", after, NO_SESSIONS) == {"B"}


async def test_search_keys_match_search_for_every_kind_of_match() -> None:
    fleet, *_ = await make_service()
    for query in ("alpha", "harbour", "card-stuck", "ada@example.com", "GRACE", "fleet@acme"):
        assert fleet.search_keys(query) == {r.charge_box_id for r in fleet.search(query)}
    assert fleet.search_keys("fleet@acme") == {"CP-JULIET-10"}  # via the parent card's link
    assert fleet.search_keys("  ") is None
