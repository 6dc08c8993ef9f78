"""Secrets never survive redact(), in any of the forms they appear in text."""

import base64
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from polaris_tui.services.redact import MASK, redact, shorten


def test_plain_secret_is_masked():
    assert redact("login failed for s3cr3t-pw!", ["s3cr3t-pw"]) == f"login failed for {MASK}!"


def test_encoded_forms_are_masked():
    secret = "p@ss word/1"
    text = (
        f"url ?password={quote(secret, safe='')} basic {base64.b64encode(secret.encode()).decode()}"
    )
    out = redact(text, [secret])
    assert quote(secret, safe="") not in out
    assert base64.b64encode(secret.encode()).decode() not in out


def test_url_userinfo_and_auth_headers_are_masked_even_if_not_configured():
    out = redact(
        "GET http://admin:hunter2@steve:8080/steve failed; Authorization: Bearer abcdef123456", []
    )
    assert "hunter2" not in out and "abcdef123456" not in out
    assert "http://admin:***@steve:8080" in out


def test_longest_secret_first_and_empty_ignored():
    assert redact("key=abc-long", ["abc", "abc-long", "", None]) == f"key={MASK}"
    assert redact(None, ["x"]) == ""


def test_shorten():
    assert shorten("x" * 10, 20) == "x" * 10
    cut = shorten("x" * 600)
    assert len(cut) == 500 and cut.endswith("…")


@given(
    secret=st.text(min_size=4, max_size=30).filter(lambda s: s.strip() == s and s),
    before=st.text(max_size=30),
    after=st.text(max_size=30),
)
def test_secret_never_survives(secret, before, after):
    assert secret not in redact(before + secret + after, [secret])
