"""Screenshots of the provider settings and Auto-Label dialogs, against real loopback servers.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot_dialogs.py

Writes docs/screenshots/:
- settings-success.png: a Custom HTTP Endpoint form after a successful Test Connection
  (HTTPS with a trustme CA: latency, certificate, annotations parsed);
- settings-validation.png: the same form with the reasons shown as a person types;
- settings-failure.png: Settings > Inference with a provider whose test failed (a certificate
  from an authority the app was not told to trust);
- autolabel-running.png: the Auto-Label dialog part-way through a run, with failures listed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.servers: the scriptable HTTPS model server
OUT = ROOT / "docs" / "screenshots"
WORK = Path(tempfile.mkdtemp(prefix="avala-shots-"))
os.environ["AVALA_DESKTOP_HOME"] = str(WORK / "home")
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget  # noqa: E402

from avala_desktop.core.store import ProjectStore  # noqa: E402
from avala_desktop.inference.providers import (  # noqa: E402
    HttpProviderConfig,
    ProviderRegistry,
    ProviderType,
    SageMakerProviderConfig,
)
from avala_desktop.views.autolabel_dialog import AutoLabelDialog  # noqa: E402
from avala_desktop.views.settings_fields import HttpFields  # noqa: E402
from avala_desktop.views.settings_inference import InferenceSettingsDialog  # noqa: E402
from avala_desktop.views.settings_provider_form import ProviderFormDialog  # noqa: E402
from tests.servers.https_model_server import (  # noqa: E402
    ModelServer,
    RecordedRequest,
    ScriptHandler,
    ServerCerts,
    ok_json,
)

DETECTIONS = [
    {"type": "bounding_box", "label": "object", "confidence": c,
     "coordinates": {"x": 4, "y": 4, "width": 20, "height": 16}}
    for c in (0.93, 0.71, 0.32)
]


def settle(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    poll = QTimer()
    poll.setInterval(20)

    def check() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    if not condition():
        raise TimeoutError("the dialog did not reach the state to photograph")


def pause(ms: int = 150) -> None:
    until = time.monotonic() + ms / 1000
    settle(lambda: time.monotonic() >= until)


def shoot(widget: QWidget, name: str) -> None:
    pause()
    path = OUT / name
    widget.grab().save(str(path), "PNG")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")


def type_into(edit: QLineEdit, text: str) -> None:
    edit.setText(text)
    edit.textEdited.emit(text)


def settings_shots(server: ModelServer, certs: ServerCerts, stranger: ServerCerts) -> None:
    registry = ProviderRegistry()
    form = ProviderFormDialog(ProviderType.HTTP, registry)
    form.resize(680, form.sizeHint().height())
    form.show()
    fields = form.fields
    assert isinstance(fields, HttpFields)
    type_into(fields.name, "detector-prod")
    type_into(fields.url, "http://models.example.com/predict")
    type_into(fields.timeout, "900")
    type_into(fields.ca_bundle, str(WORK / "missing-ca.pem"))
    shoot(form, "settings-validation.png")

    type_into(fields.url, server.url("/predict", host="localhost"))
    type_into(fields.timeout, "30")
    type_into(fields.ca_bundle, str(certs.ca_pem))
    results: list[object] = []
    form.panel.testFinished.connect(results.append)
    form.panel.start()
    settle(lambda: bool(results) and not form.panel.is_running())
    form.resize(680, form.sizeHint().height())
    shoot(form, "settings-success.png")
    form.save()

    registry.add(
        HttpProviderConfig(
            name="detector-staging",
            url=server.url("/predict", host="127.0.0.1"),
            ca_bundle=stranger.ca_pem,
        )
    )
    registry.add(
        SageMakerProviderConfig(
            name="segmenter-sm",
            endpoint_name="segmenter-prod",
            region="eu-west-1",
            role_arn="arn:aws:iam::123456789012:role/avala-sagemaker-invoker",
            external_id="avala-7f3a",
        )
    )
    settings = InferenceSettingsDialog(registry)
    settings.resize(900, 460)
    settings.show()
    settings.select(registry.get("detector-staging").id)
    done: list[object] = []
    settings.panel.testFinished.connect(done.append)
    settings.panel.start()
    settle(lambda: bool(done) and not settings.panel.is_running())
    shoot(settings, "settings-failure.png")
    settings.close()


class SlowSome:
    """A model that takes a moment per asset; now and then it runs out of GPU memory or
    answers with something that is not JSON, as real ones do."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def __call__(self, handler: ScriptHandler, request: RecordedRequest) -> None:
        with self.lock:
            self.count += 1
            n = self.count
        time.sleep(0.12)
        if n % 9 == 3:
            handler.send_body(500, b"CUDA out of memory", "text/plain")
        elif n % 9 == 7:
            handler.send_body(200, b"<html>502 Bad Gateway</html>", "application/json")
        else:
            ok_json(DETECTIONS)(handler, request)


def autolabel_shot(server: ModelServer, certs: ServerCerts) -> None:
    import cv2
    import numpy as np

    from avala_desktop.core.discovery import discover_assets

    images = WORK / "street-scenes" / "images"
    images.mkdir(parents=True)
    for i in range(120):
        image = np.full((48, 64, 3), (i * 23) % 200 + 30, np.uint8)
        cv2.imwrite(str(images / f"frame_{i:04d}.jpg"), image)
    store = ProjectStore.create(images.parent, name="street-scenes", labels=["object", "car"])
    store.add_assets(discover_assets(images).assets)
    registry = ProviderRegistry()
    registry.add(
        HttpProviderConfig(
            name="detector-autolabel",
            url=server.url("/slow", host="localhost"),
            ca_bundle=certs.ca_pem,
            max_attempts=1,
        )
    )
    dialog = AutoLabelDialog(store, [a.id for a in store.assets()[:8]], registry=registry)
    dialog.options.select_provider(registry.get("detector-autolabel").id)
    dialog.options.slider.setValue(60)
    dialog.resize(760, 700)
    dialog.show()
    dialog.start_run()
    settle(lambda: dialog.progress.bar.value() >= 48 and len(dialog.failures.failed_ids()) >= 6)
    shoot(dialog, "autolabel-running.png")
    dialog.close()
    store.close()


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert app is not None
    OUT.mkdir(parents=True, exist_ok=True)
    certs = ServerCerts.create(WORK / "ca")
    stranger = ServerCerts.create(WORK / "other-ca")
    with ModelServer(tls=certs.context(), fetch_assets=True) as server:
        server.route("/predict", ok_json(DETECTIONS))
        server.route("/slow", SlowSome())
        settings_shots(server, certs, stranger)
        autolabel_shot(server, certs)
    print(json.dumps({"screenshots": sorted(p.name for p in OUT.glob("*.png"))}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
