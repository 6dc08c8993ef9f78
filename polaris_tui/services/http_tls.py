"""The TLS settings of Polaris' HTTP clients, built once and only when used.

httpx builds a verifying SSL context for every client, reading certifi's CA
bundle each time: about 50 ms of CPU per client at start, twice (SteVe and
Lago), even for a SteVe on plain ``http://`` that never speaks TLS.

* An ``https://`` URL (or any URL while a proxy is configured in the
  environment, which may be reached over TLS) gets httpx's own verifying
  context, built once per process and shared by both clients: the same
  verification as httpx's default, paid once.
* A plain ``http://`` URL gets a context with verification required and no
  CA at all: it can never complete a TLS handshake, so it fails closed
  instead of weakening anything. The clients never follow redirects and only
  send paths under their base URL, so they never need TLS there.
"""

from __future__ import annotations

import functools
import ssl
import urllib.request

import httpx


@functools.cache
def _verifying_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or ``SSL_CERT_FILE``/``_DIR``)."""
    return httpx.create_ssl_context(verify=True, trust_env=True)


def tls_for(url: str) -> ssl.SSLContext:
    """The SSL context for a client whose base URL is ``url``."""
    if url.lower().startswith("http://") and not urllib.request.getproxies():
        return _no_tls_context()
    return _verifying_context()


def _no_tls_context() -> ssl.SSLContext:
    """Verification required, no CA trusted: every TLS handshake fails."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # CERT_REQUIRED and check_hostname
