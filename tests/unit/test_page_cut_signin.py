"""The sign-in check of the connector-status page, left out only for a page
that starts as a checked page did (issue 13)."""

import httpx

from polaris_tui.services import steve_pages
from tests.unit.test_page_cut import fleet, page
from tests.unit.test_steve_client import SIGNIN, FakeManager, make


class StatusFromCut(FakeManager):
    """The manager UI serving a cuttable status page; ``expire_to_form``
    answers the next page with the sign-in form itself (HTTP 200), as a
    SteVe whose session expired without a redirect."""

    def __init__(self) -> None:
        super().__init__()
        self.expire_to_form = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/steve/manager/home/connectorStatus" and self.sessions:
            if self.expire_to_form:
                self.expire_to_form = False
                self.sessions.clear()
                return httpx.Response(200, text=SIGNIN)
            return httpx.Response(200, text=page(fleet()))
        return super().__call__(request)


async def test_a_checked_page_skips_the_sign_in_search_and_the_form_is_still_found(
    monkeypatch,
):
    searched: list[int] = []
    real = steve_pages.is_signin_page

    def counting(html: str) -> bool:
        searched.append(len(html))
        return real(html)

    monkeypatch.setattr(steve_pages, "is_signin_page", counting)
    fake = StatusFromCut()
    client, _ = make(fake, status_source="manager-page")
    try:
        first = await client.connector_status_page()
        assert client._status_memo.cut is not None  # the page's cut checked out
        login_form_checks = len(searched)
        again = await client.connector_status_page()
        assert again == first
        assert len(searched) == login_form_checks  # the page started as the checked one
        # An expired session answered with the form: still found, signed in again.
        fake.expire_to_form = True
        after = await client.connector_status_page()
        assert after == first
        assert fake.logins == 2
        assert len(searched) > login_form_checks
    finally:
        await client.close()
