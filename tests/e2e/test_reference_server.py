"""The reference model server over real loopback HTTP(S): app protocol, SageMaker routes, CLI."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import cv2
import pytest
import requests
import trustme

from avala_desktop.core import demo_data
from avala_desktop.core.wire import parse_response
from avala_desktop.inference.reference_server import ReferenceModelServer

pytestmark = pytest.mark.e2e

LABELS = list(demo_data.DEMO_LABELS)
IMAGE_TYPES = {"bounding_box", "polygon", "segmentation_mask", "polyline", "classification"}
ATTRS = "X-Amzn-SageMaker-Custom-Attributes"


def _png(seed: int = 1) -> bytes:
    ok, buf = cv2.imencode(".png", demo_data.demo_image(seed))
    assert ok
    return buf.tobytes()


PNG = _png()
PCD = demo_data.pcd_bytes(demo_data.demo_point_cloud(20_000, seed=0))


class _AssetHandler(BaseHTTPRequestHandler):
    """Serves fixed bytes by path, like the app's signed-URL server (without the signing)."""

    protocol_version = "HTTP/1.1"
    assets: ClassVar[dict[str, tuple[bytes, str]]] = {}

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in self.assets:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data, ctype = self.assets[path]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def asset_base() -> Iterator[str]:
    _AssetHandler.assets = {
        "/assets/street.png": (PNG, "image/png"),
        "/assets/scan.pcd": (PCD, "application/octet-stream"),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AssetHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def model() -> Iterator[ReferenceModelServer]:
    with ReferenceModelServer(port=0, fetch_timeout_s=10) as server:
        yield server


def _request(asset_base: str, name: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "asset_id": name,
        "asset_url": f"{asset_base}/assets/{name}?exp=1&sig=abc",
        "labels": LABELS,
    }
    if name.endswith(".png"):
        body.update(asset_type="image", width=320, height=240)
    else:
        body.update(asset_type="point_cloud")
    body.update(extra)
    return body


def _parsed(response: requests.Response, *, image: bool) -> set[str]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    parsed = parse_response(
        response.content,
        labels=LABELS,
        width=320 if image else None,
        height=240 if image else None,
    )
    assert parsed.problems == []
    assert parsed.annotations
    return {a.type for a in parsed.annotations}


def test_predict_downloads_the_image_and_answers_every_image_type(
    model: ReferenceModelServer, asset_base: str
) -> None:
    for route in ("/", "/predict"):
        response = requests.post(
            model.url + route, json=_request(asset_base, "street.png"), timeout=60
        )
        assert _parsed(response, image=True) == IMAGE_TYPES


def test_predict_point_cloud_answers_3d_boxes(model: ReferenceModelServer, asset_base: str) -> None:
    response = requests.post(
        model.url + "/predict", json=_request(asset_base, "scan.pcd"), timeout=60
    )
    assert _parsed(response, image=False) == {"bounding_box_3d"}
    labels = sorted(a["label"] for a in response.json()["annotations"])
    assert labels == ["car", "car", "pedestrian", "pedestrian", "truck"]


def test_inline_asset_data_needs_no_url(model: ReferenceModelServer) -> None:
    body = {
        "asset_id": "x",
        "asset_type": "image",
        "width": 320,
        "height": 240,
        "labels": ["pedestrian"],
        "asset_data": base64.b64encode(PNG).decode(),
    }
    response = requests.post(model.url + "/predict", json=body, timeout=60)
    assert _parsed(response, image=True) == {"bounding_box"}


def test_answers_in_the_pixel_grid_the_request_declares(model: ReferenceModelServer) -> None:
    body = {
        "asset_id": "x",
        "asset_type": "image",
        "width": 640,
        "height": 480,
        "labels": LABELS,
        "asset_data": base64.b64encode(PNG).decode(),
    }
    response = requests.post(model.url + "/predict", json=body, timeout=60)
    assert response.status_code == 200
    parsed = parse_response(response.content, labels=LABELS, width=640, height=480)
    assert parsed.problems == []
    (mask,) = [a for a in response.json()["annotations"] if a["type"] == "segmentation_mask"]
    assert mask["rle"]["size"] == [480, 640]


def test_concurrent_requests_are_served_in_parallel(
    model: ReferenceModelServer, asset_base: str
) -> None:
    with requests.Session() as session, ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(
                session.post,
                model.url + "/predict",
                json=_request(asset_base, "street.png", labels=["pedestrian"]),
                timeout=60,
            )
            for _ in range(6)
        ]
        bodies = [f.result().json() for f in futures]
    assert all(len(b["annotations"]) == 2 for b in bodies)


def test_health_and_ping(model: ReferenceModelServer) -> None:
    assert requests.get(model.url + "/ping", timeout=5).status_code == 200
    health = requests.get(model.url + "/health", timeout=5).json()
    assert health["status"] == "ok"
    assert "people" in health["predictors"] and "pointcloud" in health["predictors"]


def test_sagemaker_binary_invocation_with_custom_attributes(model: ReferenceModelServer) -> None:
    attrs = json.dumps(
        {"asset_id": "a1", "asset_type": "image", "width": 320, "height": 240, "labels": LABELS}
    )
    response = requests.post(
        model.url + "/invocations",
        data=PNG,
        headers={"Content-Type": "image/png", ATTRS: attrs},
        timeout=60,
    )
    assert _parsed(response, image=True) == IMAGE_TYPES


def test_sagemaker_binary_point_cloud_type_is_inferred(model: ReferenceModelServer) -> None:
    response = requests.post(
        model.url + "/invocations",
        data=PCD,
        headers={"Content-Type": "application/octet-stream", ATTRS: json.dumps({"labels": LABELS})},
        timeout=60,
    )
    assert _parsed(response, image=False) == {"bounding_box_3d"}


def test_sagemaker_json_invocation(model: ReferenceModelServer) -> None:
    body = {
        "asset_id": "a1",
        "asset_url": "",
        "asset_type": "image",
        "width": 320,
        "height": 240,
        "labels": LABELS,
        "asset_data": base64.b64encode(PNG).decode(),
    }
    response = requests.post(model.url + "/invocations", json=body, timeout=60)
    assert _parsed(response, image=True) == IMAGE_TYPES


@pytest.mark.parametrize(
    ("route", "kwargs", "needle"),
    [
        (
            "/predict",
            {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
            "not valid JSON",
        ),
        ("/predict", {"json": {"asset_url": "http://127.0.0.1:9/x.png"}}, "labels"),
        ("/predict", {"json": {"labels": ["car"]}}, "neither asset_url nor asset_data"),
        ("/predict", {"json": {"labels": ["car"], "asset_data": "%%%"}}, "base64"),
        (
            "/predict",
            {
                "json": {
                    "labels": ["car"],
                    "asset_type": "image",
                    "asset_data": base64.b64encode(b"garbage").decode(),
                }
            },
            "cannot be decoded",
        ),
        ("/predict", {"json": ["labels"]}, "JSON object"),
        (
            "/invocations",
            {"data": PNG, "headers": {"Content-Type": "image/png"}},
            "Custom-Attributes",
        ),
        (
            "/invocations",
            {"data": PNG, "headers": {"Content-Type": "image/png", ATTRS: "{"}},
            "not JSON",
        ),
    ],
)
def test_bad_requests_get_400_with_a_reason(
    model: ReferenceModelServer, route: str, kwargs: dict[str, Any], needle: str
) -> None:
    response = requests.post(model.url + route, timeout=30, **kwargs)
    assert response.status_code == 400
    assert needle in response.json()["error"]


def test_unfetchable_asset_is_502(model: ReferenceModelServer, asset_base: str) -> None:
    missing = requests.post(
        model.url + "/predict", json=_request(asset_base, "gone.png"), timeout=30
    )
    assert missing.status_code == 502
    assert "HTTP 404" in missing.json()["error"]
    assert "sig=" not in missing.json()["error"]  # a signed URL's signature never echoes back
    refused = requests.post(
        model.url + "/predict",
        json={"labels": ["car"], "asset_url": "ftp://127.0.0.1/x.png"},
        timeout=30,
    )
    assert refused.status_code == 502


def test_unknown_route_and_wrong_method(model: ReferenceModelServer) -> None:
    assert requests.post(model.url + "/nope", json={}, timeout=5).status_code == 404
    assert requests.get(model.url + "/predict", timeout=5).status_code == 405


def test_oversized_request_is_refused() -> None:
    with ReferenceModelServer(port=0, max_request_bytes=1000) as server:
        response = requests.post(server.url + "/predict", data=b"x" * 5000, timeout=10)
    assert response.status_code == 413


def test_internal_asset_urls_refused_when_loopback_fetch_is_off(asset_base: str) -> None:
    with ReferenceModelServer(port=0, allow_loopback_fetch=False) as server:
        response = requests.post(
            server.url + "/predict", json=_request(asset_base, "street.png"), timeout=30
        )
    assert response.status_code == 502
    assert "internal address" in response.json()["error"]


def test_bearer_token_is_required_when_configured(asset_base: str) -> None:
    with ReferenceModelServer(port=0, token="s3cret") as server:
        body = _request(asset_base, "street.png", labels=["pedestrian"])
        assert requests.post(server.url + "/predict", json=body, timeout=30).status_code == 401
        wrong = requests.post(
            server.url + "/predict", json=body, timeout=30, headers={"Authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
        ok = requests.post(
            server.url + "/predict",
            json=body,
            timeout=60,
            headers={"Authorization": "Bearer s3cret"},
        )
        assert ok.status_code == 200
        assert len(ok.json()["annotations"]) == 2
        # SageMaker's health check carries no token.
        assert requests.get(server.url + "/ping", timeout=5).status_code == 200


def test_https_with_a_trusted_certificate(tmp_path: Path, asset_base: str) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    chain, key, ca_file = tmp_path / "chain.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    ca.cert_pem.write_to_path(str(ca_file))
    with ReferenceModelServer(port=0, tls_cert=chain, tls_key=key, token="t") as server:
        assert server.url.startswith("https://127.0.0.1:")
        response = requests.post(
            server.url + "/predict",
            json=_request(asset_base, "street.png"),
            headers={"Authorization": "Bearer t"},
            verify=str(ca_file),
            timeout=60,
        )
        assert _parsed(response, image=True) == IMAGE_TYPES
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + "/ping", timeout=5)  # not trusted without the CA
        assert requests.get(server.url + "/ping", verify=str(ca_file), timeout=5).status_code == 200


def test_stop_is_clean_and_idempotent() -> None:
    server = ReferenceModelServer(port=0)
    port = server.start()
    with requests.Session() as session:  # leaves a keep-alive connection open
        assert session.get(f"http://127.0.0.1:{port}/ping", timeout=5).status_code == 200
        server.stop()
        server.stop()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(f"http://127.0.0.1:{port}/ping", timeout=5)


def test_serve_model_command_prints_the_url_and_stops_on_interrupt() -> None:
    env = {**os.environ, "MODEL_TOKEN": "from-env", "PYTHONUNBUFFERED": "1"}
    code = "import sys; from avala_desktop.cli.serve_model_cmd import main; sys.exit(main())"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", "0", "--token-env", "MODEL_TOKEN"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        assert line.startswith("Reference model server listening on http://127.0.0.1:"), line
        url = line.split(" on ", 1)[1].split()[0]
        assert "bearer token required" in line
        assert requests.get(url + "/ping", timeout=30).status_code == 200
        assert requests.post(url + "/predict", json={}, timeout=30).status_code == 401
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"serve-model did not stop on SIGINT; stderr: {err[-2000:]}")
    assert proc.returncode == 0, f"stdout: {line}{out}\nstderr: {err[-2000:]}"
    assert "stopped" in out


def test_serve_model_command_reports_a_busy_port() -> None:
    with ReferenceModelServer(port=0) as busy:
        code = "import sys; from avala_desktop.cli.serve_model_cmd import main; sys.exit(main())"
        result = subprocess.run(
            [sys.executable, "-c", code, "--port", str(busy.port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "cannot serve" in result.stderr
