"""The signed-URL asset server, exercised over real loopback sockets."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import trustme

from avala_desktop.inference.asset_server import AssetServer, sign

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(200_000)
ASSETS = {
    "asset_abc123": (PNG, "image/png"),
    "../../etc/passwd": (b"not a file, just an id", "text/plain"),
    "frame 7/ünïcode": (b"frame bytes", "image/jpeg"),
}
seen_ids: list[str] = []


def resolve(asset_id: str) -> tuple[bytes, str] | None:
    seen_ids.append(asset_id)
    return ASSETS.get(asset_id)


@pytest.fixture
def server() -> Iterator[AssetServer]:
    seen_ids.clear()
    with AssetServer(resolve) as running:
        yield running


def get(url: str, method: str = "GET") -> requests.Response:
    return requests.request(method, url, timeout=5, allow_redirects=False)


def parts(url: str) -> tuple[str, str, str]:
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path, query["exp"][0], query["sig"][0]


def test_serves_the_exact_bytes(server: AssetServer) -> None:
    url = server.url_for("asset_abc123")
    assert url.startswith(f"http://127.0.0.1:{server.port}/assets/asset_abc123?exp=")
    response = get(url)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    head = get(url, "HEAD")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(PNG))


def test_ids_reach_the_resolver_verbatim_so_traversal_has_nothing_to_traverse(
    server: AssetServer,
) -> None:
    for asset_id, (data, _) in ASSETS.items():
        assert get(server.url_for(asset_id)).content == data
    assert seen_ids == list(ASSETS)
    # A raw path with dot segments or extra slashes is not an asset URL at all.
    exp = str(int(time.time()) + 60)
    for raw in ("/assets/../etc/passwd", "/assets/a/b", "/etc/passwd", "/assets/"):
        assert get(f"{server.base_url}{raw}?exp={exp}&sig=00").status_code == 404


def test_forged_signature_is_refused(server: AssetServer) -> None:
    path, exp, sig = parts(server.url_for("asset_abc123"))
    forged = sign(b"a key the attacker guessed", "asset_abc123", int(exp))
    assert get(f"{server.base_url}{path}?exp={exp}&sig={forged}").status_code == 403
    assert get(f"{server.base_url}{path}?exp={exp}&sig=").status_code == 403
    assert get(f"{server.base_url}{path}?exp={exp}").status_code == 403
    assert get(f"{server.base_url}{path}?exp={exp}&sig={sig}&sig={sig}").status_code == 403
    assert seen_ids == []  # refused before the resolver was asked


def test_tampered_url_is_refused(server: AssetServer) -> None:
    path, exp, sig = parts(server.url_for("asset_abc123"))
    flipped = ("1" if sig[0] != "1" else "2") + sig[1:]
    assert get(f"{server.base_url}{path}?exp={exp}&sig={flipped}").status_code == 403
    assert get(f"{server.base_url}{path}?exp={int(exp) + 3600}&sig={sig}").status_code == 403
    other = quote("frame 7/ünïcode", safe="")
    assert get(f"{server.base_url}/assets/{other}?exp={exp}&sig={sig}").status_code == 403
    assert get(f"{server.base_url}{path}?exp={exp}&sig={sig.upper()}").status_code == 403
    assert get(f"{server.base_url}{path}?exp={exp}&sig={sig}").status_code == 200


def test_expired_url_is_refused(server: AssetServer) -> None:
    old = server.url_for("asset_abc123", ttl_s=3600, now=time.time() - 3601)
    assert get(old).status_code == 403
    assert server.verify("asset_abc123", *parts(old)[1:], now=time.time() - 3600)


def test_unknown_asset_with_valid_signature_is_404(server: AssetServer) -> None:
    assert get(server.url_for("asset_missing")).status_code == 404


def test_other_methods_are_405(server: AssetServer) -> None:
    url = server.url_for("asset_abc123")
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = get(url, method)
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET, HEAD"


def test_servers_with_different_keys_reject_each_others_urls(server: AssetServer) -> None:
    with AssetServer(resolve) as other:
        foreign = other.url_for("asset_abc123")
        assert get(foreign).status_code == 200
        assert get(server.base_url + foreign.removeprefix(other.base_url)).status_code == 403


def test_signature_never_reaches_the_log(
    server: AssetServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    good = server.url_for("asset_abc123")
    get(good)
    get(good.replace("sig=", "sig=0"))
    get(good, "POST")
    _, _, sig = parts(good)
    # The server's own log lines (the test's HTTP client logs its request lines itself).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("avala_desktop"))
    assert "asset server: GET /assets/asset_abc123 -> 403" in ours
    assert sig not in ours and sig[1:9] not in ours


def test_tls_and_advertised_host(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with AssetServer(
        resolve,
        advertised_host="localhost",
        tls_cert=tmp_path / "cert.pem",
        tls_key=tmp_path / "key.pem",
    ) as server:
        url = server.url_for("asset_abc123")
        assert url.startswith(f"https://localhost:{server.port}/assets/")
        response = requests.get(url, timeout=5, verify=str(tmp_path / "ca.pem"))
        assert response.content == PNG
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url, timeout=5)  # the default store does not trust the test CA
        # A client failing the handshake did not take the server down.
        assert requests.get(url, timeout=5, verify=str(tmp_path / "ca.pem")).status_code == 200


def test_stop_releases_the_port_and_url_for_needs_a_running_server() -> None:
    server = AssetServer(resolve).start()
    port = server.port
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not running"):
        server.url_for("asset_abc123")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_tls_needs_cert_and_key_together(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both a certificate and its key"):
        AssetServer(resolve, tls_cert=tmp_path / "cert.pem")
