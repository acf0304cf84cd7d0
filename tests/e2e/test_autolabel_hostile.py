"""One run against a hostile HTTPS model server: every asset meets a different misbehaviour,
gets its own category (or its discarded reason), and the well-behaved assets still succeed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from avala_desktop.core.masks import decode
from avala_desktop.core.store import ProjectStore, RunAssetStatus
from avala_desktop.jobs.autolabel import run_auto_label
from tests.e2e.autolabel_support import Events, by_name, http_provider, image_project
from tests.servers.autolabel_servers import by_asset, png_bomb, png_mask, png_response
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
    reset_mid_body,
    sequence,
    slow,
    status_response,
)

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
BOX = {"x": 2, "y": 2, "width": 6, "height": 6}


def box(label: str = "object", confidence: float = 0.9) -> dict[str, object]:
    return {"type": "bounding_box", "label": label, "confidence": confidence, "coordinates": BOX}


def behaviours(server: ModelServer) -> dict[str, Responder]:
    """Image name -> what the server does with that image's request."""
    server.route("/masks/ok.png", png_response(png_mask(24, 24)))
    server.route("/masks/bomb.png", png_response(png_bomb()))
    nan = '{"annotations": [%s, {"type": "bounding_box", "label": "object", "confidence": NaN, ' \
          '"coordinates": {"x": 1, "y": 1, "width": 2, "height": 2}}]}'
    return {
        "img_0000.png": ok_json([box()]),
        "img_0001.png": invalid_json(),
        "img_0002.png": json_response({"annotations": {"type": "bounding_box"}}),
        "img_0003.png": _raw(nan % _json(box())),
        "img_0004.png": ok_json([box(), box("zebra")]),
        "img_0005.png": status_response(429, b"slow down", {"Retry-After": "0"}),
        "img_0006.png": status_response(500, b"model crashed"),
        "img_0007.png": slow(6.0),
        "img_0008.png": oversize(2 * MiB),
        "img_0009.png": gzip_bomb(64 * MiB),
        "img_0010.png": ok_json([box(), _mask_url(server, "/masks/bomb.png")]),
        "img_0011.png": reset_mid_body(),
        "img_0012.png": ok_json([_mask_url(server, "/masks/ok.png")]),
        "img_0013.png": sequence(status_response(429, b"", {"Retry-After": "0"}), ok_json([box()])),
    }


def _json(obj: object) -> str:
    return json.dumps(obj)


def _raw(body: str) -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_body(200, body.encode(), "application/json")

    return respond


def _mask_url(server: ModelServer, path: str) -> dict[str, object]:
    return {"type": "segmentation_mask", "label": "object", "confidence": 0.8,
            "mask_url": server.url(path) + "?sig=secret-signature"}


def test_each_hostile_asset_fails_alone_with_its_category(
    tmp_path: Path, server: ModelServer, certs: ServerCerts
) -> None:
    store: ProjectStore = image_project(tmp_path / "project", 14)
    assets = by_name(store)
    server.default = by_asset(
        {assets[name].id: responder for name, responder in behaviours(server).items()},
        default=ok_json([box()]),
    )
    provider = http_provider(
        server, ca_bundle=certs.ca_pem, timeout_s=2, max_response_bytes=MiB
    )
    events = Events()

    summary = run_auto_label(store, provider, scope="all", concurrency=8, on_event=events)

    results = {
        Path(store.asset(e.asset_id).path).name: e.result  # type: ignore[union-attr]
        for e in store.run_assets(summary.run_id)
    }
    failed = {name: r.category for name, r in results.items() if r.status == RunAssetStatus.FAILED}
    assert failed == {
        "img_0001.png": "bad_response",
        "img_0002.png": "bad_response",
        "img_0005.png": "throttled",
        "img_0006.png": "server_error",
        "img_0007.png": "timeout",
        "img_0008.png": "too_large",
        "img_0009.png": "too_large",
        "img_0011.png": "connect",
    }
    for name in failed:
        assert results[name].message, f"{name} failed without a message"
    ok = {name: r for name, r in results.items() if name not in failed}
    assert all(r.status == RunAssetStatus.OK for r in ok.values())
    assert {name: r.kept for name, r in ok.items()} == {
        "img_0000.png": 1, "img_0003.png": 1, "img_0004.png": 1, "img_0010.png": 1,
        "img_0012.png": 1, "img_0013.png": 1,
    }
    assert ok["img_0003.png"].discarded == {
        "invalid:bounding_box: confidence: must be a finite number": 1
    }
    assert ok["img_0004.png"].discarded == {"label_not_in_set": 1}
    assert ok["img_0010.png"].discarded == {"mask_fetch": 1}
    assert "100,000,000 pixels" in (ok["img_0010.png"].message or "")
    assert "secret-signature" not in (ok["img_0010.png"].message or "")

    # The mask given by URL was fetched over the provider's TLS and stored as COCO RLE.
    [mask] = store.annotations(assets["img_0012.png"].id)
    assert mask.type == "segmentation_mask" and set(mask.geometry) == {"rle"}
    assert int(decode(mask.geometry["rle"]).sum()) == 30

    assert summary.state == "completed"
    assert (summary.ok, summary.failed, summary.skipped) == (6, 8, 0)
    assert summary.failed_by_category == {
        "bad_response": 2, "too_large": 2, "throttled": 1, "server_error": 1, "timeout": 1,
        "connect": 1,
    }
    assert len(events.done) == 14
    # Failed assets keep no suggestions; nothing was half-written for them.
    for name in failed:
        assert store.annotations(assets[name].id) == []
