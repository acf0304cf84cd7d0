"""Amazon SageMaker provider: assume the configured role, then `InvokeEndpoint`.

Endpoints, proxies and CA bundles come from botocore's own settings (`AWS_ENDPOINT_URL`,
`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`, `AWS_CA_BUNDLE`, the profile's
config), which is also how the tests point the client at loopback servers.

Payload modes (PRODUCT.md §1):
- `binary`: the body is the asset's bytes with its content type; the request fields travel as
  compact JSON in the `CustomAttributes` header (`X-Amzn-SageMaker-Custom-Attributes`), which
  AWS limits to 1024 characters.
- `json`: the body is the request JSON with the asset inline as base64 in `asset_data`; an
  endpoint in AWS cannot reach the app's loopback asset server, so the bytes always travel.

The boto3 client is built once, on first use, and then shared by every worker thread (boto3
clients are thread-safe; sessions are not, so no session is touched after that).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import TYPE_CHECKING, Any

from botocore.client import BaseClient
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.inference import aws_credentials as aws
from avala_desktop.inference.base import AssetPayload, InferenceResult
from avala_desktop.inference.providers import PayloadMode, SageMakerProviderConfig

if TYPE_CHECKING:
    from avala_desktop.core.wire import InferenceRequest

MiB = 1024 * 1024
DEFAULT_MAX_RESPONSE_BYTES = 64 * MiB
DEFAULT_MAX_ATTEMPTS = 3
CUSTOM_ATTRIBUTES_LIMIT = 1024
_SERVICE = "the SageMaker runtime"
_ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
_SERVER_ERROR_CODES = frozenset(
    {"InternalFailure", "ServiceUnavailable", "InternalDependencyException", "InternalError"}
)


class SageMakerClient:
    """`ProviderClient` for an Amazon SageMaker real-time endpoint."""

    def __init__(
        self,
        config: SageMakerProviderConfig,
        secrets: object | None = None,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        session_duration_s: int = aws.DEFAULT_SESSION_DURATION_S,
    ) -> None:
        # `secrets` is part of the make_client signature; SageMaker keeps no secret of its own
        # (credentials come from the AWS chain), so it is not used.
        del secrets
        self.config = config
        self.max_attempts = max_attempts
        self.max_response_bytes = max_response_bytes
        self.session_duration_s = session_duration_s
        self.role_session_name = aws.new_role_session_name()
        self._lock = threading.Lock()
        self._runtime: BaseClient | None = None
        self._sts: BaseClient | None = None
        self._credentials: Credentials | None = None
        self._closed = False

    @property
    def credentials(self) -> Credentials | None:
        """The role's refreshable credentials once the first request assumed the role."""
        return self._credentials

    def infer(self, request: InferenceRequest, asset: AssetPayload) -> InferenceResult:
        kwargs = self._invoke_arguments(request, asset)
        runtime, credentials = self._connect()
        # Resolve (and, near expiry, refresh) the role credentials before the clock starts, so
        # latency measures the endpoint and an STS failure is reported as such.
        self._fresh(credentials)
        started = time.perf_counter()
        try:
            response = runtime.invoke_endpoint(**kwargs)
            body = self._read_capped(response["Body"])
        except ClientError as exc:
            raise self._invoke_failure(exc) from exc
        except BotoCoreError as exc:
            raise aws.botocore_failure(
                exc, service=_SERVICE, region=self.config.region, timeout_s=self.config.timeout_s
            ) from exc
        latency = time.perf_counter() - started
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 200))
        return InferenceResult(body=body, status=status, latency_s=latency, tls=None)

    def close(self) -> None:
        with self._lock:
            runtime, sts = self._runtime, self._sts
            self._runtime = self._sts = None
            self._closed = True
        for client in (runtime, sts):
            if client is not None:
                client.close()

    # -- connection -------------------------------------------------------------------------

    def _connect(self) -> tuple[BaseClient, Credentials]:
        with self._lock:
            if self._closed:
                raise InferenceFailure(
                    FailureCategory.INTERNAL,
                    "This SageMaker client was closed; create a new one for further requests.",
                )
            if self._runtime is None or self._credentials is None:
                self._runtime, self._credentials = self._build()
            return self._runtime, self._credentials

    def _build(self) -> tuple[BaseClient, Credentials]:
        config = self.config
        botocore_config = aws.botocore_config(
            timeout_s=config.timeout_s, max_attempts=self.max_attempts
        )
        base = aws.base_session(config.profile)
        try:
            if self._sts is None:
                self._sts = base.client("sts", region_name=config.region, config=botocore_config)
            refresher = aws.AssumeRoleRefresher(
                self._sts,
                aws.RoleSpec(
                    role_arn=config.role_arn,
                    session_name=self.role_session_name,
                    external_id=config.external_id,
                    duration_s=self.session_duration_s,
                ),
                region=config.region,
            )
            credentials = aws.assume_role_credentials(refresher)
            session = aws.session_with_credentials(credentials, config.profile)
            runtime = session.create_client(
                "sagemaker-runtime", region_name=config.region, config=botocore_config
            )
        except BotoCoreError as exc:
            raise aws.botocore_failure(exc, service="AWS STS", region=config.region) from exc
        return runtime, credentials

    def _fresh(self, credentials: Credentials) -> None:
        try:
            credentials.get_frozen_credentials()
        except BotoCoreError as exc:
            raise aws.botocore_failure(exc, service="AWS STS", region=self.config.region) from exc
        except RuntimeError as exc:
            # botocore's only RuntimeError here: STS handed out credentials that are already
            # expired by the local clock, so every refresh would fail the same way.
            raise InferenceFailure(
                FailureCategory.AUTH,
                "The temporary credentials from AWS STS are already expired by this "
                "computer's clock: set the system clock right (automatic time) and try again.",
            ) from exc

    # -- request ----------------------------------------------------------------------------

    def _invoke_arguments(self, request: InferenceRequest, asset: AssetPayload) -> dict[str, Any]:
        fields: dict[str, Any] = request.to_wire()
        fields.pop("asset_data", None)
        kwargs: dict[str, Any] = {"EndpointName": self.config.endpoint_name}
        if self.config.payload_mode is PayloadMode.JSON:
            fields["asset_data"] = base64.b64encode(asset.data).decode("ascii")
            kwargs.update(
                Body=json.dumps(fields, separators=(",", ":")).encode("utf-8"),
                ContentType="application/json",
                Accept="application/json",
            )
        else:
            kwargs.update(
                Body=asset.data,
                ContentType=asset.content_type or "application/octet-stream",
                Accept="application/json",
                CustomAttributes=custom_attributes(fields),
            )
        return kwargs

    def _read_capped(self, stream: Any) -> bytes:
        try:
            # One byte over the cap is enough to know; the rest is never buffered.
            data: bytes = stream.read(self.max_response_bytes + 1)
        finally:
            stream.close()
        if len(data) > self.max_response_bytes:
            raise InferenceFailure(
                FailureCategory.TOO_LARGE,
                f"The endpoint answered with more than {_size(self.max_response_bytes)}, the "
                "limit for one response: check what the model returns (predictions are far "
                "smaller; an image echoed back or an unfiltered output would not be).",
            )
        return data

    # -- failures ---------------------------------------------------------------------------

    def _endpoint_arn(self) -> str:
        parts = aws.role_arn_parts(self.config.role_arn)
        partition, account = parts if parts else ("aws", "<account id>")
        # SageMaker lower-cases endpoint names in ARNs.
        name = self.config.endpoint_name.lower()
        return f"arn:{partition}:sagemaker:{self.config.region}:{account}:endpoint/{name}"

    def _invoke_failure(self, exc: ClientError) -> InferenceFailure:
        code, status = aws.error_code(exc), aws.http_status(exc)
        detail = aws.service_message(exc)
        name, region = self.config.endpoint_name, self.config.region
        if code == "ValidationError" and "not found" in detail.lower():
            return InferenceFailure(
                FailureCategory.ENDPOINT_NOT_FOUND,
                f"SageMaker has no endpoint '{name}' in {region} for this account: check the "
                "endpoint name and region, and that the endpoint is InService.",
                status=status,
                detail=code,
            )
        if code == "ModelError":
            return _model_error(exc, name, status)
        if code == "ModelNotReadyException":
            return InferenceFailure(
                FailureCategory.SERVER_ERROR,
                f"The model behind endpoint '{name}' is not loaded yet; try again in a few "
                f"minutes. AWS said: {detail}",
                status=status,
                detail=code,
            )
        if code in _ACCESS_DENIED_CODES:
            return InferenceFailure(
                FailureCategory.AUTH,
                f"The role may not invoke endpoint '{name}': the role's policy must allow "
                f"sagemaker:InvokeEndpoint on {self._endpoint_arn()}. AWS said: {detail}",
                status=status,
                detail=code,
            )
        if code in aws.REJECTED_CREDENTIAL_CODES:
            return InferenceFailure(
                FailureCategory.AUTH,
                f"AWS rejected the role's temporary credentials ({code}): check the "
                "computer's clock and test the connection again.",
                status=status,
                detail=code,
            )
        if code in aws.THROTTLING_CODES or status == 429:
            return InferenceFailure(
                FailureCategory.THROTTLED,
                f"SageMaker throttled the requests to endpoint '{name}' even after "
                f"{self.max_attempts} attempts: run with fewer parallel requests or raise the "
                "endpoint's capacity.",
                status=status,
                detail=code,
            )
        if code in _SERVER_ERROR_CODES or (status is not None and status >= 500):
            return InferenceFailure(
                FailureCategory.SERVER_ERROR,
                f"SageMaker failed to serve endpoint '{name}' ({code or status}); try again "
                f"later. AWS said: {detail}",
                status=status,
                detail=code,
            )
        if code == "ValidationError":
            return InferenceFailure(
                FailureCategory.CLIENT_ERROR,
                f"SageMaker rejected the request to endpoint '{name}': {detail} (for large "
                "assets, note real-time endpoints accept at most 6 MB per request).",
                status=status,
                detail=code,
            )
        if status == 403:
            return InferenceFailure(
                FailureCategory.AUTH,
                f"AWS refused the request to endpoint '{name}' ({code}): the role's policy must "
                f"allow sagemaker:InvokeEndpoint on {self._endpoint_arn()}. AWS said: {detail}",
                status=status,
                detail=code,
            )
        return InferenceFailure(
            FailureCategory.CLIENT_ERROR,
            f"InvokeEndpoint on '{name}' failed ({code or status}): {detail}",
            status=status,
            detail=code,
        )


def custom_attributes(fields: dict[str, Any]) -> str:
    """The request fields as a CustomAttributes value, within AWS's 1024-character limit.

    ASCII-only JSON (AWS accepts only US-ASCII there). The signed asset URL is the first thing
    to go: a cloud endpoint rarely reaches it anyway, and the asset is in the body.
    """
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    if len(text) > CUSTOM_ATTRIBUTES_LIMIT and "asset_url" in fields:
        fields = {key: value for key, value in fields.items() if key != "asset_url"}
        text = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    if len(text) > CUSTOM_ATTRIBUTES_LIMIT:
        labels = fields.get("labels") or []
        raise InferenceFailure(
            FailureCategory.CONFIG,
            f"The request fields ({len(labels)} labels) take {len(text)} characters, more "
            f"than the {CUSTOM_ATTRIBUTES_LIMIT} AWS allows in the CustomAttributes header of "
            "binary payload mode: switch the provider to json payload mode or use a shorter "
            "label set.",
        )
    return text


def _size(count: int) -> str:
    return f"{count / MiB:g} MiB" if count >= MiB else f"{count} bytes"


def _model_error(exc: ClientError, endpoint: str, status: int | None) -> InferenceFailure:
    # botocore puts the modelled members of the error shape at the top of the response.
    response = exc.response
    original_status = response.get("OriginalStatusCode")
    original = str(response.get("OriginalMessage") or aws.service_message(exc))
    original = " ".join(original.split())
    if len(original) > 300:
        original = original[:299] + "…"
    where = response.get("LogStreamArn")
    logs = f" The container's log stream: {where}." if where else ""
    status_text = f"status {original_status}" if original_status is not None else "an error"
    return InferenceFailure(
        FailureCategory.MODEL_ERROR,
        f"The model container of endpoint '{endpoint}' answered with {status_text}: "
        f"{original}. Check the inference code and the request it expects (payload mode, "
        f"content type).{logs}",
        status=status,
        detail="ModelError",
    )
