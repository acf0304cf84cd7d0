"""Test Connection: prove a provider works by sending a real probe through the real path.

For a custom HTTPS endpoint the probe is served by a short-lived signed-URL asset server and
the request goes through `HttpClient` with the provider's own auth, TLS and limits; for
SageMaker it goes through the SageMaker client (assume role + InvokeEndpoint, binary or JSON
payload as configured). Either way the answer is parsed by the same `parse_response` a run
uses, so "ok" means a run would get annotations out of this provider.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.wire import (
    DEFAULT_MAX_BYTES,
    AssetType,
    InferenceRequest,
    ParsedResponse,
    parse_response,
)
from avala_desktop.inference.asset_server import AssetServer, Resolver
from avala_desktop.inference.base import (
    AssetPayload,
    InferenceResult,
    ProviderClient,
    RequestCancelled,
)
from avala_desktop.inference.clients import make_client
from avala_desktop.inference.providers import (
    HttpProviderConfig,
    ProviderNotFound,
    ProviderRegistry,
    SageMakerProviderConfig,
)

log = logging.getLogger(__name__)

PROBE_SIZE = 64
DEFAULT_PROBE_LABELS: tuple[str, ...] = ("object",)
_MAX_PROBLEMS_LISTED = 5

AssetServerFactory = Callable[[Resolver], AssetServer]


class ConnectionTestResult(BaseModel):
    """What the settings dialog and `provider test` show; stored as the provider's last test."""

    provider_id: str
    provider_name: str
    provider_type: str
    ok: bool
    cancelled: bool = False
    category: FailureCategory | None = None
    message: str
    status: int | None = None
    latency_ms: float | None = None
    annotations_parsed: int | None = None
    problems: int | None = None
    problem_reasons: list[str] = Field(default_factory=list)
    tls_subject: str | None = None
    tls_issuer: str | None = None
    tls_not_after: datetime | None = None
    tested_at: datetime


@functools.cache
def probe_png() -> bytes:
    """A 64x64 PNG with a bright square and a disc on dark ground: something to detect."""
    import cv2
    import numpy as np

    image = np.full((PROBE_SIZE, PROBE_SIZE, 3), 32, dtype=np.uint8)
    cv2.rectangle(image, (8, 8), (30, 30), (255, 255, 255), thickness=-1)
    cv2.circle(image, (44, 44), 12, (0, 160, 255), thickness=-1)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("OpenCV could not encode the probe image as PNG")
    return bytes(encoded.tobytes())


def test_connection(
    config: HttpProviderConfig | SageMakerProviderConfig,
    *,
    registry: ProviderRegistry | None = None,
    timeout_s: float | None = None,
    cancel: threading.Event | None = None,
    secret: str | None = None,
    labels: Sequence[str] = DEFAULT_PROBE_LABELS,
    asset_server_factory: AssetServerFactory | None = None,
) -> ConnectionTestResult:
    """Send one probe to the provider and report; never raises for a provider failure.

    `timeout_s` overrides the provider's timeout for this test only. `cancel` makes the call
    return promptly with a cancelled result when set (the probe thread is abandoned; its
    retries stop at once). `secret` overrides the keyring / env lookup (an unsaved dialog).
    `asset_server_factory` builds the probe's asset server (bind host, advertised host, TLS)
    the way the app's own one is configured; default: loopback, plain http.
    """
    if timeout_s is not None:
        # model_copy skips validation on purpose: a test may use a sub-second timeout.
        config = config.model_copy(update={"timeout_s": float(timeout_s)})
    probe = _Probe(config, secret, tuple(labels), asset_server_factory or AssetServer, cancel)
    result = probe.run() if cancel is None else _run_cancellable(probe, cancel)
    if registry is not None and not result.cancelled:
        try:
            registry.record_test_result(
                config.id, result.model_dump(mode="json"), tested_at=result.tested_at
            )
        except ProviderNotFound:
            log.debug("provider %s is not saved; its test result is not recorded", config.name)
    return result


# pytest would otherwise collect the imported function as a test in every test module using it.
test_connection.__test__ = False  # type: ignore[attr-defined]


def _run_cancellable(probe: _Probe, cancel: threading.Event) -> ConnectionTestResult:
    outcome: list[ConnectionTestResult] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            outcome.append(probe.run())
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=work, name="avala-test-connection", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.05)
        if cancel.is_set() and worker.is_alive():
            probe.abandon()
            return probe.cancelled_result()
    if failure:
        raise failure[0]
    return outcome[0]


class _Probe:
    def __init__(
        self,
        config: HttpProviderConfig | SageMakerProviderConfig,
        secret: str | None,
        labels: tuple[str, ...],
        server_factory: AssetServerFactory,
        cancel: threading.Event | None,
    ) -> None:
        self.config = config
        self.secret = secret
        self.labels = labels
        self.server_factory = server_factory
        self.cancel = cancel
        self.asset_id = f"probe_{secrets.token_hex(4)}"
        self._client: ProviderClient | None = None
        self._lock = threading.Lock()

    def _result(self, ok: bool, message: str, **fields: object) -> ConnectionTestResult:
        return ConnectionTestResult(
            provider_id=self.config.id,
            provider_name=self.config.name,
            provider_type=self.config.type.value,
            ok=ok,
            message=message,
            tested_at=datetime.now(UTC),
            **fields,  # type: ignore[arg-type]
        )

    def cancelled_result(self) -> ConnectionTestResult:
        return self._result(False, "The test was cancelled.", cancelled=True)

    def abandon(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def run(self) -> ConnectionTestResult:
        data = probe_png()
        answer: InferenceResult | None = None
        try:
            with contextlib.ExitStack() as stack:
                client = make_client(
                    self.config, secret=self.secret, pool_size=1, cancel=self.cancel
                )
                with self._lock:
                    self._client = client
                stack.callback(self.abandon)
                url = ""
                if isinstance(self.config, HttpProviderConfig):
                    server = stack.enter_context(self.server_factory(self._resolve))
                    url = server.url_for(self.asset_id)
                request = InferenceRequest(
                    asset_id=self.asset_id,
                    asset_url=url,
                    asset_type=AssetType.IMAGE,
                    width=PROBE_SIZE,
                    height=PROBE_SIZE,
                    labels=list(self.labels),
                )
                answer = client.infer(request, AssetPayload(data, "image/png", url or None))
            parsed = parse_response(
                answer.body,
                labels=None,
                width=PROBE_SIZE,
                height=PROBE_SIZE,
                max_bytes=_max_bytes(self.config),
            )
        except RequestCancelled:
            return self.cancelled_result()
        except InferenceFailure as failure:
            log.info("test of provider %s failed: %s", self.config.name, failure.category.value)
            return self._result(
                False,
                failure.message,
                category=failure.category,
                status=failure.status if failure.status is not None else _status(answer),
                **_answer_fields(answer),
            )
        return self._success(answer, parsed)

    def _resolve(self, asset_id: str) -> tuple[bytes, str] | None:
        return (probe_png(), "image/png") if asset_id == self.asset_id else None

    def _success(self, answer: InferenceResult, parsed: ParsedResponse) -> ConnectionTestResult:
        count, problems = len(parsed.annotations), len(parsed.problems)
        fields = _answer_fields(answer)
        latency = fields.get("latency_ms")
        message = f"Connected: HTTP {answer.status} in {latency:.0f} ms, {count} annotation" + (
            "" if count == 1 else "s"
        )
        if problems:
            message += (
                f"; {problems} skipped as invalid (first: {parsed.problems[0].reason}). "
                "The connection works; fix the model's output format for those."
            )
        return self._result(
            True,
            message,
            status=answer.status,
            annotations_parsed=count,
            problems=problems,
            problem_reasons=[p.reason for p in parsed.problems[:_MAX_PROBLEMS_LISTED]],
            **fields,
        )


def _max_bytes(config: HttpProviderConfig | SageMakerProviderConfig) -> int:
    return (
        config.max_response_bytes if isinstance(config, HttpProviderConfig) else DEFAULT_MAX_BYTES
    )


def _status(answer: InferenceResult | None) -> int | None:
    return answer.status if answer is not None else None


def _answer_fields(answer: InferenceResult | None) -> dict[str, object]:
    if answer is None:
        return {}
    fields: dict[str, object] = {"latency_ms": round(answer.latency_s * 1000.0, 1)}
    if answer.tls is not None:
        fields.update(
            tls_subject=answer.tls.subject,
            tls_issuer=answer.tls.issuer,
            tls_not_after=answer.tls.not_after,
        )
    return fields
