"""The HTTP clients' TLS: verifying for https, fail-closed for plain http."""

from __future__ import annotations

import ssl

import pytest

from polaris_tui.services.http_tls import tls_for


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


def test_https_verifies_and_both_clients_share_one_context() -> None:
    context = tls_for("https://steve.example/steve")
    assert context is tls_for("https://lago.example/api/v1")
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0


def test_plain_http_gets_a_context_that_can_never_complete_tls() -> None:
    context = tls_for("http://127.0.0.1:8180/steve")
    # Verification is still required, with nothing trusted: fails closed.
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0


def test_a_proxy_in_the_environment_keeps_the_verifying_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "https://proxy.example:3128")
    context = tls_for("http://127.0.0.1:8180/steve")
    assert context is tls_for("https://steve.example/steve")
    assert context.cert_store_stats()["x509_ca"] > 0
