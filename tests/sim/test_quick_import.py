"""The stand-in imports aiohttp without its import-time CA loads (quick_import.py),
and its hook still verifies an https URL as aiohttp's default did."""

from __future__ import annotations

import ssl
import subprocess
import sys

from chargesim.hook import HookClient
from chargesim.quick_import import ca_loads_skipped

PROBE = """
import ssl, sys
saved = ssl.SSLContext.load_default_certs, ssl.SSLContext.set_default_verify_paths
from chargesim.quick_import import ca_loads_skipped
with ca_loads_skipped():
    import chargesim.server
import aiohttp.connector as connector
assert (ssl.SSLContext.load_default_certs, ssl.SSLContext.set_default_verify_paths) == saved
verified = connector._SSL_CONTEXT_VERIFIED
assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname  # fails closed
print("ok")
"""


def test_server_import_skips_the_ca_loads_and_restores_ssl() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_no_effect_once_aiohttp_is_imported() -> None:
    saved = ssl.SSLContext.load_default_certs
    with ca_loads_skipped():
        assert ssl.SSLContext.load_default_certs is saved


def test_https_hook_verifies_with_the_system_cas() -> None:
    hook = HookClient("https://hook.example/api/ocpp/pre-authorize", "key")
    tls = hook._tls_for(hook.url or "")
    assert isinstance(tls, ssl.SSLContext)
    assert tls.verify_mode == ssl.CERT_REQUIRED and tls.check_hostname
    reference = ssl.create_default_context()
    assert tls.cert_store_stats() == reference.cert_store_stats()
    assert hook._tls_for(hook.url or "") is tls  # built once
    assert hook._tls_for("http://127.0.0.1:9/hook") is True  # plain HTTP: no TLS
