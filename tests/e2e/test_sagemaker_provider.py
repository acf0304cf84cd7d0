"""SageMaker provider end to end: moto (IAM, STS, InvokeEndpoint) and a loopback runtime.

The client is pointed at the servers only through botocore's standard settings
(AWS_ENDPOINT_URL*, AWS_CA_BUNDLE, AWS_CONFIG_FILE ...), exactly as an admin would.
moto runs with IAM enforcement where it matters, so signatures, identity policies and the
role's trust policy (with its sts:ExternalId condition) are really checked.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import trustme
from botocore.credentials import RefreshableCredentials

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.wire import InferenceRequest
from avala_desktop.inference import aws_credentials
from avala_desktop.inference.base import AssetPayload, InferenceResult
from avala_desktop.inference.providers import PayloadMode, SageMakerProviderConfig
from avala_desktop.inference.sagemaker_client import CUSTOM_ATTRIBUTES_LIMIT, SageMakerClient
from avala_desktop.inference.test_connection import probe_png, test_connection
from tests.servers.moto_server import (
    ACCOUNT_ID,
    IamUser,
    MotoServer,
    isolate_aws_env,
    statement,
)
from tests.servers.sagemaker_runtime_server import (
    SageMakerRuntimeServer,
    endpoint_not_found,
    error_response,
    json_response,
    model_error,
    running_runtime_server,
    throttled,
)

pytestmark = pytest.mark.e2e

REGION = "eu-west-1"
ENDPOINT = "detector-prod"
EXTERNAL_ID = "avala-ext-7f3a"
ANSWER = {"annotations": [{"type": "classification", "label": "car", "confidence": 0.9}]}
# Not valid UTF-8 on purpose: binary mode must pass the bytes through untouched.
ASSET_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@dataclass(frozen=True)
class AwsWorld:
    user: IamUser
    role_arn: str
    no_invoke_role_arn: str


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No AWS setting of the machine running the tests leaks in; nothing reaches the network."""
    aws_dir = tmp_path / "aws"
    aws_dir.mkdir()
    isolate_aws_env(monkeypatch, aws_dir)
    return aws_dir


@pytest.fixture
def world(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> AwsWorld:
    """An admin identity allowed to assume a role that may invoke endpoints; STS is moto."""
    moto.reset()
    user = moto.create_user("annotator-admin", statement("sts:AssumeRole"))
    role_arn = moto.create_role(
        "avala-sagemaker-invoker",
        trusted=[user.arn],
        external_id=EXTERNAL_ID,
        statements=[statement("sagemaker:InvokeEndpoint")],
    )
    no_invoke = moto.create_role("avala-no-invoke", trusted=[user.arn])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", user.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", user.secret_access_key)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto.url)
    return AwsWorld(user=user, role_arn=role_arn, no_invoke_role_arn=no_invoke)


@pytest.fixture
def via_runtime(
    world: AwsWorld, runtime: SageMakerRuntimeServer, monkeypatch: pytest.MonkeyPatch
) -> SageMakerRuntimeServer:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", runtime.url)
    return runtime


def make_config(world: AwsWorld, **changes: object) -> SageMakerProviderConfig:
    fields: dict[str, object] = {
        "name": "detector",
        "endpoint_name": ENDPOINT,
        "region": REGION,
        "role_arn": world.role_arn,
        "external_id": EXTERNAL_ID,
        "timeout_s": 5,
    }
    fields.update(changes)
    return SageMakerProviderConfig.model_validate(fields)


def make_request(labels: list[str] | None = None, url: str | None = None) -> InferenceRequest:
    return InferenceRequest.model_validate(
        {
            "asset_id": "asset_abc123",
            "asset_url": url
            or "https://127.0.0.1:8443/assets/asset_abc123?exp=1767225600&sig=ab12",
            "asset_type": "image",
            "width": 4,
            "height": 3,
            "labels": labels or ["car", "pedestrian", "cyclist", "truck"],
        }
    )


def asset(url: str | None = None) -> AssetPayload:
    return AssetPayload(data=ASSET_BYTES, content_type="image/png", url=url)


def infer(
    config: SageMakerProviderConfig, request: InferenceRequest | None = None, **kwargs: int
) -> InferenceResult:
    client = SageMakerClient(config, **kwargs)
    try:
        return client.infer(request or make_request(), asset())
    finally:
        client.close()


def failure(
    config: SageMakerProviderConfig, request: InferenceRequest | None = None, **kwargs: int
) -> InferenceFailure:
    with pytest.raises(InferenceFailure) as caught:
        infer(config, request, **kwargs)
    return caught.value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- success paths -------------------------------------------------------------------------


def test_json_mode_assumes_role_and_invokes_through_moto(
    moto: MotoServer, world: AwsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    moto.queue_endpoint_results(
        [{"Body": json.dumps(ANSWER), "ContentType": "application/json"}], region=REGION
    )
    config = make_config(world, payload_mode="json")
    client = SageMakerClient(config)
    try:
        with moto.enforce_iam():
            result = client.infer(make_request(), asset())
        assert json.loads(result.body) == ANSWER
        assert result.status == 200
        assert result.latency_s > 0
        assert result.tls is None
        credentials = client.credentials
        assert credentials is not None
        assert credentials.method == "assume-role"
        # The invoke was signed with the role's temporary key, not the admin's own.
        frozen = credentials.get_frozen_credentials()
        assert frozen.access_key != world.user.access_key_id
        assert frozen.token
        [granted] = moto.assumed_roles()
        assert granted["role_arn"] == world.role_arn
        assert granted["external_id"] == EXTERNAL_ID
        assert granted["session_name"] == client.role_session_name
        assert granted["session_name"].startswith("avala-desktop-")
        assert granted["access_key_id"] == frozen.access_key
    finally:
        client.close()


def test_json_mode_body_carries_request_and_base64_asset(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    via_runtime.enqueue(json_response(ANSWER))
    result = infer(make_config(world, payload_mode=PayloadMode.JSON))
    assert json.loads(result.body) == ANSWER
    [sent] = via_runtime.requests
    assert sent.endpoint_name == ENDPOINT
    assert sent.header("Content-Type") == "application/json"
    assert sent.header("Accept") == "application/json"
    assert sent.header("X-Amzn-SageMaker-Custom-Attributes") is None
    body = json.loads(sent.body)
    assert base64.b64decode(body.pop("asset_data")) == ASSET_BYTES
    assert body == make_request().to_wire()


def test_binary_mode_sends_asset_bytes_and_fields_in_custom_attributes(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    via_runtime.enqueue(json_response(ANSWER))
    result = infer(make_config(world))  # binary is the default payload mode
    assert json.loads(result.body) == ANSWER
    [sent] = via_runtime.requests
    assert sent.path == f"/endpoints/{ENDPOINT}/invocations"
    assert sent.body == ASSET_BYTES
    assert sent.header("Content-Type") == "image/png"
    attributes = json.loads(sent.header("X-Amzn-SageMaker-Custom-Attributes") or "")
    assert attributes == make_request().to_wire()
    assert "asset_data" not in attributes
    # Signed with the assumed role's session credentials, not the admin's long-term key.
    assert sent.access_key_id not in (None, world.user.access_key_id)
    assert sent.header("X-Amz-Security-Token")


def test_binary_mode_drops_asset_url_before_exceeding_custom_attributes_limit(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    labels = [f"class-{index:03d}" for index in range(60)]  # ~900 characters of labels
    long_url = "https://assets.example.com/a?sig=" + "f" * 200
    infer(make_config(world), make_request(labels=labels, url=long_url))
    [sent] = via_runtime.requests
    header = sent.header("X-Amzn-SageMaker-Custom-Attributes") or ""
    assert len(header) <= CUSTOM_ATTRIBUTES_LIMIT
    attributes = json.loads(header)
    assert "asset_url" not in attributes
    assert attributes["labels"] == labels
    assert sent.body == ASSET_BYTES


def test_binary_mode_refuses_label_set_too_large_for_custom_attributes(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    labels = [f"a-rather-long-class-name-{index:03d}" for index in range(60)]
    error = failure(make_config(world), make_request(labels=labels))
    assert error.category is FailureCategory.CONFIG
    assert "json payload mode" in error.message
    assert via_runtime.requests == []


def test_named_profile_supplies_the_admin_identity(
    moto: MotoServer, world: AwsWorld, aws_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    (aws_env / "credentials").write_text(
        f"[labeling]\naws_access_key_id = {world.user.access_key_id}\n"
        f"aws_secret_access_key = {world.user.secret_access_key}\n"
    )
    moto.queue_endpoint_results(
        [{"Body": json.dumps(ANSWER), "ContentType": "application/json"}], region=REGION
    )
    with moto.enforce_iam():
        result = infer(make_config(world, profile="labeling", payload_mode="json"))
    assert json.loads(result.body) == ANSWER


def test_missing_profile_is_a_config_failure(world: AwsWorld) -> None:
    error = failure(make_config(world, profile="no-such-profile"))
    assert error.category is FailureCategory.CONFIG
    assert "no-such-profile" in error.message


def test_one_client_serves_many_threads_with_one_assume_role(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    client = SageMakerClient(make_config(world))
    results: list[InferenceResult] = []
    errors: list[BaseException] = []

    def work() -> None:
        for _ in range(3):
            try:
                results.append(client.infer(make_request(), asset()))
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert errors == []
    assert len(results) == 24
    assert len(via_runtime.requests) == 24
    assert {sent.access_key_id for sent in via_runtime.requests} == {
        client.credentials.get_frozen_credentials().access_key  # type: ignore[union-attr]
    }


# -- credential refresh --------------------------------------------------------------------


def test_expired_role_credentials_are_refreshed_by_assuming_the_role_again(
    moto: MotoServer, world: AwsWorld
) -> None:
    sts_as_user = boto3.client(
        "sts",
        region_name=REGION,
        endpoint_url=moto.url,
        aws_access_key_id=world.user.access_key_id,
        aws_secret_access_key=world.user.secret_access_key,
    )
    refresher = aws_credentials.AssumeRoleRefresher(
        sts_as_user,
        aws_credentials.RoleSpec(
            role_arn=world.role_arn,
            session_name=aws_credentials.new_role_session_name(),
            external_id=EXTERNAL_ID,
        ),
        region=REGION,
    )
    with moto.enforce_iam():
        first = refresher()
        expired = {**first, "expiry_time": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}
        credentials = RefreshableCredentials.create_from_metadata(
            metadata=expired, refresh_using=refresher, method="assume-role"
        )
        renewed = credentials.get_frozen_credentials()
    assert renewed.access_key != first["access_key"]
    assert renewed.token != first["token"]
    assert not credentials.refresh_needed()
    assert [role["access_key_id"] for role in moto.assumed_roles()] == [
        first["access_key"],
        renewed.access_key,
    ]


def test_short_sessions_are_renewed_between_requests(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    # 900 s, STS's shortest session, is already inside botocore's 15-minute refresh window:
    # every request must come with credentials from a fresh AssumeRole.
    client = SageMakerClient(make_config(world), session_duration_s=900)
    try:
        client.infer(make_request(), asset())
        client.infer(make_request(), asset())
    finally:
        client.close()
    keys = [sent.access_key_id for sent in via_runtime.requests]
    assert len(keys) == 2
    assert keys[0] != keys[1]
    assert world.user.access_key_id not in keys


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["wrong-external-id", "untrusted-identity"])
def test_assume_role_denied(
    moto: MotoServer, world: AwsWorld, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    config = make_config(world, external_id="someone-elses-id", payload_mode="json")
    if case == "untrusted-identity":
        outsider = moto.create_user("outsider", statement("sts:AssumeRole"))
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", outsider.access_key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", outsider.secret_access_key)
        config = make_config(world, payload_mode="json")
    with moto.enforce_iam():
        error = failure(config)
    assert error.category is FailureCategory.ASSUME_ROLE_DENIED
    assert "trust relationship" in error.message
    assert "external id" in error.message
    assert world.role_arn in error.message
    assert error.status == 403


def test_invoke_denied_by_role_policy(
    moto: MotoServer, world: AwsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.url)
    config = make_config(
        world, role_arn=world.no_invoke_role_arn, external_id=None, payload_mode="json"
    )
    with moto.enforce_iam():
        error = failure(config)
    assert error.category is FailureCategory.AUTH
    assert "sagemaker:InvokeEndpoint" in error.message
    assert f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:endpoint/{ENDPOINT}" in error.message


def test_no_credentials_anywhere(world: AwsWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    error = failure(make_config(world))
    assert error.category is FailureCategory.AUTH
    assert "aws configure" in error.message


def test_endpoint_not_found(via_runtime: SageMakerRuntimeServer, world: AwsWorld) -> None:
    via_runtime.enqueue(endpoint_not_found(ENDPOINT))
    error = failure(make_config(world))
    assert error.category is FailureCategory.ENDPOINT_NOT_FOUND
    assert ENDPOINT in error.message and REGION in error.message
    assert error.status == 400
    assert len(via_runtime.requests) == 1  # a client error is not retried


def test_model_error_reports_container_status_and_message(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    container_message = (
        "unsupported content type image/png; expected application/x-npy " + "x" * 2000
    )
    via_runtime.enqueue(model_error(415, container_message, name=ENDPOINT))
    error = failure(make_config(world))
    assert error.category is FailureCategory.MODEL_ERROR
    assert "status 415" in error.message
    assert "unsupported content type image/png" in error.message
    assert "/aws/sagemaker/Endpoints/" in error.message
    assert len(error.message) < 900  # the container's text is truncated
    assert error.status == 424


def test_throttling_is_retried_then_succeeds(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    via_runtime.enqueue(throttled(), json_response(ANSWER))
    result = infer(make_config(world))
    assert json.loads(result.body) == ANSWER
    assert len(via_runtime.requests) == 2


def test_throttling_exhausted(via_runtime: SageMakerRuntimeServer, world: AwsWorld) -> None:
    via_runtime.enqueue(throttled(), throttled(), throttled())
    error = failure(make_config(world), max_attempts=2)
    assert error.category is FailureCategory.THROTTLED
    assert "2 attempts" in error.message
    assert len(via_runtime.requests) == 2


@pytest.mark.parametrize(
    ("status", "code"), [(503, "ServiceUnavailable"), (500, "InternalFailure")]
)
def test_service_failures_are_server_errors(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld, status: int, code: str
) -> None:
    via_runtime.enqueue(error_response(status, code, "try later"))
    error = failure(make_config(world), max_attempts=1)
    assert error.category is FailureCategory.SERVER_ERROR
    assert error.status == status
    assert code in error.message


def test_response_over_the_cap(via_runtime: SageMakerRuntimeServer, world: AwsWorld) -> None:
    via_runtime.enqueue(json_response({"annotations": [], "padding": "p" * 8192}))
    error = failure(make_config(world), max_response_bytes=4096)
    assert error.category is FailureCategory.TOO_LARGE


def test_read_timeout(via_runtime: SageMakerRuntimeServer, world: AwsWorld) -> None:
    via_runtime.enqueue(json_response(ANSWER, delay_s=2.5))
    error = failure(make_config(world, timeout_s=1), max_attempts=1)
    assert error.category is FailureCategory.TIMEOUT
    assert "timeout" in error.message


def test_connection_refused(world: AwsWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", f"http://127.0.0.1:{free_port()}")
    error = failure(make_config(world), max_attempts=1)
    assert error.category is FailureCategory.CONNECT
    assert REGION in error.message


def test_unknown_region_is_a_config_failure(
    world: AwsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The config validator rejects unknown regions; a stored config from a newer botocore
    # could still carry one, and the client must say so rather than "cannot connect".
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS")
    config = make_config(world).model_copy(update={"region": "xx-nowhere-9"})
    error = failure(config, max_attempts=1)
    assert error.category is FailureCategory.CONFIG
    assert "xx-nowhere-9" in error.message


@pytest.fixture(scope="module")
def tls_runtime() -> Iterator[tuple[SageMakerRuntimeServer, trustme.CA]]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with running_runtime_server(ssl_context=context) as server:
        yield server, ca


def test_untrusted_certificate_is_a_tls_failure(
    tls_runtime: tuple[SageMakerRuntimeServer, trustme.CA],
    world: AwsWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, _ = tls_runtime
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url)
    error = failure(make_config(world), max_attempts=1)
    assert error.category is FailureCategory.TLS
    assert "AWS_CA_BUNDLE" in error.message


def test_ca_bundle_from_botocore_settings_is_honoured(
    tls_runtime: tuple[SageMakerRuntimeServer, trustme.CA],
    world: AwsWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, ca = tls_runtime
    server.reset()
    server.enqueue(json_response(ANSWER))
    bundle = tmp_path / "proxy-ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", server.url)
    result = infer(make_config(world))
    assert json.loads(result.body) == ANSWER
    assert server.requests[-1].body == ASSET_BYTES


def test_closed_client_refuses_further_requests(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    client = SageMakerClient(make_config(world))
    client.infer(make_request(), asset())
    client.close()
    client.close()
    with pytest.raises(InferenceFailure) as caught:
        client.infer(make_request(), asset())
    assert "closed" in caught.value.message
    assert len(via_runtime.requests) == 1


# -- through Test Connection ---------------------------------------------------------------


def test_test_connection_reports_success_through_the_sagemaker_client(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    via_runtime.enqueue(json_response(ANSWER))
    result = test_connection(make_config(world))
    assert result.ok, result.message
    assert result.status == 200
    assert result.annotations_parsed == 1
    [sent] = via_runtime.requests
    assert sent.body == probe_png()
    assert sent.header("Content-Type") == "image/png"


def test_test_connection_reports_the_failure_category(
    via_runtime: SageMakerRuntimeServer, world: AwsWorld
) -> None:
    via_runtime.enqueue(endpoint_not_found(ENDPOINT))
    result = test_connection(make_config(world))
    assert not result.ok
    assert result.category is FailureCategory.ENDPOINT_NOT_FOUND
    assert "check the endpoint name and region" in result.message
