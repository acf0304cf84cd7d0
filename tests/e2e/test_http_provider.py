"""`provider add-http` / `provider test` against a real HTTPS model server on loopback.

Every failure mode of PRODUCT.md §1 yields its own category and sentence from `provider test`.
The CLI runs in-process through `avala_desktop.cli.main.main`, and once as a real subprocess.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.wire import AssetType, InferenceRequest
from avala_desktop.inference.base import AssetPayload
from avala_desktop.inference.http_client import HttpClient
from avala_desktop.inference.providers import HttpProviderConfig, ProviderRegistry
from avala_desktop.inference.test_connection import test_connection as run_test_connection
from tests.cli_support import cli
from tests.servers.https_model_server import (
    ModelServer,
    RecordedRequest,
    Responder,
    ScriptHandler,
    ServerCerts,
    gzip_bomb,
    invalid_json,
    json_response,
    ok_json,
    oversize,
    redirect,
    reset_mid_body,
    sequence,
    slow,
    status_response,
)
from tests.servers.memory_keyring import MemoryKeyring, installed_keyring

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
TOKEN = "tok-3c1f9b7e2d5a8c40"


def add(
    capsys: pytest.CaptureFixture[str], name: str, url: str, *extra: str, ca: Path | None
) -> HttpProviderConfig:
    """Add through the CLI, then shrink retry waits and the body cap so the suite stays fast."""
    ca_args = ["--ca-bundle", str(ca)] if ca else []
    code, out, err = cli(capsys, "provider", "add-http", name, "--url", url, *ca_args, *extra)
    assert code == 0, err
    assert out.startswith(f"added provider {name} (inf_")
    registry = ProviderRegistry()
    config = registry.get(name)
    assert isinstance(config, HttpProviderConfig)
    tuned = config.model_copy(update={"backoff_base_s": 0.01, "max_response_bytes": MiB})
    registry.update(tuned)
    return tuned


def provider_test(
    capsys: pytest.CaptureFixture[str], name: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    code, out, err = cli(capsys, "provider", "test", name, "--json", *extra)
    assert err == ""
    return code, json.loads(out)


# -- each failure its own category and sentence -------------------------------------------------

CASES: list[tuple[str, Responder, str, str, int | None]] = [
    ("401", status_response(401), "auth", "rejected the credentials (401 Unauthorized)", 401),
    ("403", status_response(403), "auth", "refused access (403 Forbidden)", 403),
    ("404", status_response(404), "not_found", "check the path in the provider's URL", 404),
    ("500", status_response(500, b"CUDA out of memory"), "server_error", "CUDA out of memory", 500),
    ("invalid-json", invalid_json(), "bad_response", "not valid JSON", 200),
    ("too-large", oversize(4 * MiB), "too_large", "exceeds the 1 MiB limit", 200),
    ("too-large-streamed", oversize(4 * MiB, declare_length=False), "too_large", "1 MiB", 200),
    ("wrong-shape", json_response({"predictions": []}), "bad_response", "annotations", 200),
]


@pytest.mark.parametrize(
    ("path", "responder", "category", "phrase", "status"), CASES, ids=[c[0] for c in CASES]
)
def test_failure_categories(
    capsys: pytest.CaptureFixture[str],
    server: ModelServer,
    certs: ServerCerts,
    path: str,
    responder: Responder,
    category: str,
    phrase: str,
    status: int | None,
) -> None:
    server.route(f"/{path}", responder)
    add(capsys, "model", server.url(f"/{path}"), ca=certs.ca_pem)
    code, result = provider_test(capsys, "model")
    assert code == 1
    assert result["ok"] is False
    assert result["category"] == category
    assert phrase in result["message"]
    assert result["status"] == status
    # Non-retryable statuses are sent once; nobody hammers a server that said no.
    assert len(server.requests_to(f"/{path}")) == 1


def test_success_reports_latency_certificate_and_annotations(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    add(capsys, "model", server.url("/predict"), ca=certs.ca_pem)
    code, out, _ = cli(capsys, "provider", "test", "model")
    assert code == 0
    assert out.startswith("ok  model: HTTP 200, ")
    assert "1 annotation, certificate " in out and "expires " in out
    code, result = provider_test(capsys, "model")
    assert code == 0 and result["ok"] and result["category"] is None
    assert result["annotations_parsed"] == 1 and result["problems"] == 0
    assert result["latency_ms"] > 0
    assert "trustme" in result["tls_issuer"] and result["tls_not_after"]
    # The model server really fetched the probe through the signed asset URL.
    request = server.requests_to("/predict")[-1]
    assert request.json["asset_type"] == "image"
    assert request.json["width"] == request.json["height"] == 64
    assert request.asset_bytes is not None and request.asset_bytes.startswith(b"\x89PNG")
    # ... and the result was recorded for `provider list`.
    code, out, _ = cli(capsys, "provider", "list")
    assert code == 0 and "model" in out and " ok" in out


def test_invalid_annotations_are_counted_but_the_connection_works(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    good = {"type": "classification", "label": "object", "confidence": 0.8}
    bad = {"type": "polygon", "label": "object", "confidence": 0.8, "points": [[1, 1]]}
    server.route("/mixed", ok_json([good, bad]))
    add(capsys, "model", server.url("/mixed"), ca=certs.ca_pem)
    code, out, _ = cli(capsys, "provider", "test", "model")
    assert code == 0
    assert "1 annotation, 1 skipped as invalid" in out
    assert "skipped: annotation 1 (polygon)" in out


def test_untrusted_ca(
    capsys: pytest.CaptureFixture[str], server: ModelServer, tmp_path: Path
) -> None:
    stranger = ServerCerts.create(tmp_path / "other-ca")
    add(capsys, "model", server.url("/predict"), ca=stranger.ca_pem)
    code, out, _ = cli(capsys, "provider", "test", "model")
    assert code == 1
    assert out.startswith("failed  model: tls: ")
    assert "not signed by an authority this computer trusts" in out and "--ca-bundle" in out
    assert server.requests == []


def test_wrong_hostname(capsys: pytest.CaptureFixture[str], certs: ServerCerts) -> None:
    with ModelServer(tls=certs.context("models.example")) as other:
        add(capsys, "model", other.url("/predict"), ca=certs.ca_pem)
        code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "tls"
    assert "was issued for another host name" in result["message"]
    assert "127.0.0.1 in its subject alternative names" in result["message"]


def test_expired_certificate(capsys: pytest.CaptureFixture[str], certs: ServerCerts) -> None:
    with ModelServer(tls=certs.context(expired=True)) as other:
        add(capsys, "model", other.url("/predict"), ca=certs.ca_pem)
        code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "tls"
    assert "has expired" in result["message"]


def test_429_with_retry_after_then_success(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/busy", sequence(status_response(429, headers={"Retry-After": "1"}), ok_json()))
    add(capsys, "model", server.url("/busy"), ca=certs.ca_pem)
    code, result = provider_test(capsys, "model")
    assert code == 0 and result["annotations_parsed"] == 1
    first, second = server.requests_to("/busy")
    # Honoured: the retry came no earlier than the server asked (a lower bound cannot flake).
    assert second.received_at - first.received_at >= 0.95


def test_retry_after_beyond_the_bound_gives_up_at_once(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/busy", status_response(429, headers={"Retry-After": "3600"}))
    add(capsys, "model", server.url("/busy"), ca=certs.ca_pem)
    code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "throttled"
    assert "asked to wait 3600 s" in result["message"]
    assert len(server.requests_to("/busy")) == 1


def test_503_retried_until_exhausted(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/down", status_response(503))
    add(capsys, "model", server.url("/down"), ca=certs.ca_pem)
    code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "server_error" and result["status"] == 503
    assert "Gave up after 4 attempts" in result["message"]
    assert len(server.requests_to("/down")) == 4


def test_slower_than_the_timeout(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/slow", slow(10))
    add(capsys, "model", server.url("/slow"), ca=certs.ca_pem)
    code, out, _ = cli(capsys, "provider", "test", "model", "--timeout", "0.5")
    assert code == 1
    assert out.startswith("failed  model: timeout: ")
    assert "did not answer within 0.5 s" in out and "raise the provider's timeout" in out
    assert len(server.requests_to("/slow")) == 1  # a model that is slow is not asked twice


def test_connection_reset_mid_body_is_retried_then_reported(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/reset", reset_mid_body())
    add(capsys, "model", server.url("/reset"), ca=certs.ca_pem)
    code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "connect"
    assert "closed the connection before the response was complete" in result["message"]
    assert len(server.requests_to("/reset")) == 4


def test_nothing_listening(capsys: pytest.CaptureFixture[str], certs: ServerCerts) -> None:
    with ModelServer(tls=certs.context()) as gone:
        url = gone.url("/predict")
    add(capsys, "model", url, ca=certs.ca_pem)
    code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "connect"
    assert "connection refused" in result["message"]


def test_redirect_to_another_host_is_not_followed(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/moved", redirect(server.url("/elsewhere", host="localhost")))
    add(capsys, "model", server.url("/moved"), ca=certs.ca_pem)
    code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "client_error"
    assert "redirects to another host or scheme are not followed" in result["message"]
    assert server.requests_to("/elsewhere") == []


def test_same_origin_redirect_is_followed_with_a_limit(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/old", redirect("/predict", code=308))
    server.route("/loop", redirect("/loop"))
    add(capsys, "moved", server.url("/old"), ca=certs.ca_pem)
    add(capsys, "loop", server.url("/loop"), ca=certs.ca_pem)
    assert provider_test(capsys, "moved")[0] == 0
    assert server.requests_to("/predict")[-1].method == "POST"
    code, result = provider_test(capsys, "loop")
    assert code == 1 and "redirected more than 3 times" in result["message"]


def test_plain_http_only_to_loopback_and_only_when_allowed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with ModelServer(fetch_assets=True) as plain:
        code, _, err = cli(capsys, "provider", "add-http", "dev", "--url", plain.url())
        assert code == 2 and "needs --allow-insecure-localhost" in err
        code, _, err = cli(capsys, "provider", "add-http", "lan", "--url", "http://10.1.2.3/p")
        assert code == 2 and "must use https://" in err
        add(capsys, "dev", plain.url(), "--allow-insecure-localhost", ca=None)
        code, result = provider_test(capsys, "dev")
        assert code == 0 and result["tls_subject"] is None


def test_https_to_a_plain_http_port(capsys: pytest.CaptureFixture[str]) -> None:
    with ModelServer() as plain:
        add(capsys, "model", plain.url().replace("http://", "https://"), ca=None)
        code, result = provider_test(capsys, "model")
    assert code == 1 and result["category"] == "tls"
    assert "did not answer in TLS" in result["message"]


def test_gzip_bomb_is_stopped_at_the_cap_without_inflating_it(certs: ServerCerts) -> None:
    request = InferenceRequest(
        asset_id="a1",
        asset_url="https://127.0.0.1:9/assets/a1",  # never fetched: this server does not
        asset_type=AssetType.IMAGE,
        width=4,
        height=4,
        labels=["object"],
    )
    with (
        ModelServer(tls=certs.context()) as server,
        HttpClient(
            HttpProviderConfig(
                name="bomb", url=server.url("/bomb"), ca_bundle=certs.ca_pem, max_response_bytes=MiB
            )
        ) as client,
    ):
        server.route("/bomb", gzip_bomb(64 * MiB))
        tracemalloc.start()
        try:
            with pytest.raises(InferenceFailure) as info:
                client.infer(request, AssetPayload(b"", "image/png"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert info.value.category is FailureCategory.TOO_LARGE
    # 64 MiB would have been held had the body been inflated whole; the cap is 1 MiB.
    assert peak < 8 * MiB, peak


def test_one_client_serves_many_threads_over_a_bounded_pool(
    server: ModelServer, certs: ServerCerts
) -> None:
    config = HttpProviderConfig(name="m", url=server.url("/predict"), ca_bundle=certs.ca_pem)
    request = InferenceRequest(
        asset_id="a1",
        asset_url="https://127.0.0.1:9/assets/a1",
        asset_type=AssetType.IMAGE,
        width=4,
        height=4,
        labels=["object"],
    )
    server.fetch_assets = False
    with HttpClient(config, pool_size=4) as client, ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda _: client.infer(request, AssetPayload(b"", "image/png")), range(40))
        )
    assert {r.status for r in results} == {200}
    assert all(json.loads(r.body)["annotations"] for r in results)
    assert len(server.requests) == 40
    # Kept-alive connections were reused: never more than one per worker thread.
    ports = {r.client_port for r in server.requests}
    assert 1 <= len(ports) <= 4, ports


def test_cancel_returns_promptly_and_records_nothing(
    server: ModelServer, certs: ServerCerts
) -> None:
    server.route("/slow", slow(30))
    registry = ProviderRegistry()
    config = registry.add(
        HttpProviderConfig(name="slow", url=server.url("/slow"), ca_bundle=certs.ca_pem)
    )
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    result = run_test_connection(config, registry=registry, cancel=cancel)
    assert result.cancelled and not result.ok
    assert registry.get("slow").last_test is None


# -- secrets --------------------------------------------------------------------------------------


def bearer_only(token: str) -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        if request.headers.get("authorization") != f"Bearer {token}":
            status_response(401)(handler, request)
        else:
            ok_json()(handler, request)

    return respond


def echo_headers(handler: ScriptHandler, request: RecordedRequest) -> None:
    """A careless server that puts the Authorization header in its error page."""
    echoed = {"authorization": request.headers.get("authorization"), **request.headers}
    status_response(500, json.dumps(echoed).encode())(handler, request)


def test_no_secret_in_config_logs_or_listing(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    server: ModelServer,
    certs: ServerCerts,
    ring: MemoryKeyring,
    avala_home: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    server.route("/auth", bearer_only(TOKEN))
    server.route("/echo", echo_headers)
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN + "\n"))
    args = ["--auth", "bearer", "--token-stdin"]
    config = add(capsys, "secure", server.url("/auth"), *args, ca=certs.ca_pem)
    assert ring.entries == {("avala-desktop", f"{config.id}/token"): TOKEN}
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN + "\n"))
    add(capsys, "echo", server.url("/echo"), *args, ca=certs.ca_pem)

    code, out_ok, _ = cli(capsys, "provider", "test", "secure")
    assert code == 0  # the token from the keyring was sent and accepted
    code, out_echo, _ = cli(capsys, "provider", "test", "echo")
    assert code == 1 and "[redacted]" in out_echo  # the server echoed it; we did not repeat it
    outputs = [out_ok, out_echo]
    outputs += [cli(capsys, "provider", "list")[1], cli(capsys, "provider", "list", "--json")[1]]
    files = [p.read_text() for p in avala_home.rglob("*") if p.is_file()]
    assert files and any("secure" in text for text in files)
    for text in [*outputs, *files, caplog.text]:
        assert TOKEN not in text

    code, out, _ = cli(capsys, "provider", "remove", "secure")
    assert code == 0 and "and its token in the keyring" in out
    assert ("avala-desktop", f"{config.id}/token") not in ring.entries


def test_header_auth_from_environment(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: ModelServer,
    certs: ServerCerts,
) -> None:
    def key_only(handler: ScriptHandler, request: RecordedRequest) -> None:
        ok = request.headers.get("x-api-key") == TOKEN and "authorization" not in request.headers
        (ok_json() if ok else status_response(403))(handler, request)

    server.route("/keyed", key_only)
    extra = ["--auth", "header", "--header-name", "X-Api-Key", "--token-env", "AVALA_KEY"]
    add(capsys, "keyed", server.url("/keyed"), *extra, ca=certs.ca_pem)
    monkeypatch.delenv("AVALA_KEY", raising=False)
    code, result = provider_test(capsys, "keyed")
    assert code == 1 and result["category"] == "config"
    assert "AVALA_KEY, which is not set" in result["message"]
    monkeypatch.setenv("AVALA_KEY", TOKEN)
    assert provider_test(capsys, "keyed")[0] == 0


def test_no_keyring_refuses_the_token_and_adds_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(TOKEN))
    with installed_keyring(fail.Keyring()):
        code, out, err = cli(
            capsys,
            "provider",
            "add-http",
            "m",
            "--url",
            "https://models.example/p",
            "--auth",
            "bearer",
            "--token-stdin",
        )
    assert code == 2 and "--token-env NAME" in err and out == ""
    assert ProviderRegistry().list() == []
    code, _, err = cli(
        capsys, "provider", "add-http", "m", "--url", "https://models.example/p", "--auth", "bearer"
    )
    assert code == 2 and "needs a token" in err


def test_unknown_provider_and_duplicate_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "provider", "test", "nope")
    assert code == 2 and "no provider named 'nope'" in err
    assert cli(capsys, "provider", "add-http", "a", "--url", "https://a.example/p")[0] == 0
    code, _, err = cli(capsys, "provider", "add-http", "A", "--url", "https://b.example/p")
    assert code == 2 and "already exists" in err


def test_real_cli_subprocess_exit_codes(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: ModelServer,
    certs: ServerCerts,
    avala_home: Path,
) -> None:
    """The installed entry point, as an admin runs it: exit 0 when it works, 1 when not.

    Providers are added in-process (same AVALA_DESKTOP_HOME) to keep this to two interpreter
    start-ups; the subprocess has no keyring at all and reads the token from its environment.
    """
    server.route("/denied", status_response(403))
    monkeypatch.setenv("AVALA_KEY", TOKEN)
    common = ["--auth", "bearer", "--token-env", "AVALA_KEY"]
    add(capsys, "good", server.url("/predict"), *common, ca=certs.ca_pem)
    add(capsys, "bad", server.url("/denied"), *common, ca=certs.ca_pem)
    env = {
        **os.environ,
        "AVALA_DESKTOP_HOME": str(avala_home),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "avala_desktop.cli.main", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    good = run("provider", "test", "good")
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("ok  good: HTTP 200")
    bad = run("provider", "test", "bad")
    assert bad.returncode == 1 and "failed  bad: auth (HTTP 403)" in bad.stdout
    assert server.requests_to("/predict")[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in good.stdout + good.stderr + bad.stdout + bad.stderr
    code, listing, _ = cli(capsys, "provider", "list")
    assert code == 0 and "failed (auth)" in listing  # the subprocess recorded its result


def test_moved_ca_bundle_fails_that_provider_only(
    capsys: pytest.CaptureFixture[str], server: ModelServer, certs: ServerCerts, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca-copy.pem"
    bundle.write_bytes(certs.ca_pem.read_bytes())
    add(capsys, "pinned", server.url("/predict"), ca=bundle)
    add(capsys, "other", server.url("/predict"), ca=certs.ca_pem)
    bundle.unlink()
    code, out, _ = cli(capsys, "provider", "list")
    assert code == 0 and "pinned" in out and "other" in out
    code, result = provider_test(capsys, "pinned")
    assert code == 1 and result["category"] == "config"
    assert f"The CA bundle {bundle} cannot be read" in result["message"]
    assert provider_test(capsys, "other")[0] == 0
