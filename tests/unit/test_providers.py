"""Provider configuration models and the registry file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from avala_desktop.inference.providers import (
    AuthMode,
    DuplicateProviderName,
    HttpProviderConfig,
    PayloadMode,
    ProviderError,
    ProviderNotFound,
    ProviderRegistry,
    SageMakerProviderConfig,
    describe_validation_error,
    is_loopback_host,
    parse_provider_config,
)

ROLE = "arn:aws:iam::123456789012:role/avala-inference"


def http(**fields: object) -> HttpProviderConfig:
    return HttpProviderConfig.model_validate(
        {"name": "model", "url": "https://models.example/predict", **fields}
    )


def sagemaker(**fields: object) -> SageMakerProviderConfig:
    base = {"name": "sm", "endpoint_name": "detector-v2", "region": "us-east-1", "role_arn": ROLE}
    return SageMakerProviderConfig.model_validate({**base, **fields})


def error_text(**fields: object) -> str:
    with pytest.raises(ValidationError) as info:
        parse_provider_config(fields)
    return describe_validation_error(info.value)


def test_http_defaults_and_generated_id() -> None:
    a, b = http(), http()
    assert a.id.startswith("inf_") and a.id != b.id
    assert a.timeout_s == 30 and a.auth is AuthMode.NONE and a.max_response_bytes == 64 << 20


@pytest.mark.parametrize(
    ("url", "insecure", "expected"),
    [
        ("http://models.example/p", True, "must use https://: plain http:// would send"),
        ("http://10.0.0.5/p", True, "only for a model server on this machine"),
        ("http://127.0.0.1:8080/p", False, "needs --allow-insecure-localhost"),
        ("https://user:pw@models.example/p", False, "must not contain a user name or password"),
        ("ftp://models.example/p", False, "must be absolute"),
        ("models.example/predict", False, "must be absolute"),
        ("https://models.example:99999/p", False, "malformed"),
    ],
)
def test_http_url_rules_explain_themselves(url: str, insecure: bool, expected: str) -> None:
    message = error_text(type="http", name="m", url=url, allow_insecure_localhost=insecure)
    assert expected in message


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/p", "http://localhost/p", "http://[::1]:8/p"])
def test_plain_http_allowed_only_to_loopback_when_marked(url: str) -> None:
    assert http(url=url, allow_insecure_localhost=True).url == url


def test_loopback_detection() -> None:
    assert is_loopback_host("127.0.0.2") and is_loopback_host("[::1]")
    assert is_loopback_host("LOCALHOST")
    assert not is_loopback_host("localhost.example.com") and not is_loopback_host("10.0.0.1")


def test_auth_rules() -> None:
    assert "needs the header's name" in error_text(
        type="http", name="m", url="https://x.example", auth="header"
    )
    assert "only used with auth 'header'" in error_text(
        type="http", name="m", url="https://x.example", header_name="X-Key"
    )
    assert "auth is 'none'" in error_text(
        type="http", name="m", url="https://x.example", token_env="TOKEN"
    )
    assert "not a valid HTTP header name" in error_text(
        type="http", name="m", url="https://x.example", auth="header", header_name="X Key"
    )
    assert "sets Content-Type itself" in error_text(
        type="http", name="m", url="https://x.example", auth="header", header_name="Content-Type"
    )
    # A token pasted where the variable's name belongs is refused (and not stored).
    assert "not an environment variable name" in error_text(
        type="http", name="m", url="https://x.example", auth="bearer", token_env="sk-12/34"
    )
    assert http(auth="header", header_name="X-Api-Key", token_env="MY_KEY").header_name


def test_timeout_bounds_and_ca_bundle(tmp_path: Path) -> None:
    assert "timeout_s" in error_text(type="http", name="m", url="https://x.example", timeout_s=0)
    assert "timeout_s" in error_text(type="http", name="m", url="https://x.example", timeout_s=601)
    missing = tmp_path / "nope.pem"
    assert "does not exist" in error_text(
        type="http", name="m", url="https://x.example", ca_bundle=str(missing)
    )
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    assert http(ca_bundle=pem).ca_bundle == pem.resolve()


def test_name_is_required_and_trimmed() -> None:
    assert http(name="  detector ").name == "detector"
    assert "needs a name" in error_text(type="http", name="  ", url="https://x.example")


def test_sagemaker_validation_messages() -> None:
    config = sagemaker(region="EU-WEST-1", payload_mode="json", profile="")
    assert config.region == "eu-west-1"
    assert config.payload_mode is PayloadMode.JSON and config.profile is None
    assert config.timeout_s == 60
    base = {"type": "sagemaker", "name": "s", "endpoint_name": "ep", "role_arn": ROLE}
    assert "not an AWS region where SageMaker runtime is available" in error_text(
        **base, region="us-east-9"
    )
    assert "not an IAM role ARN" in error_text(
        **{**base, "role_arn": "arn:aws:iam::12345:role/x"}, region="us-east-1"
    )
    assert "not an IAM role ARN" in error_text(
        **{**base, "role_arn": "arn:aws:iam::123456789012:user/bob"}, region="us-east-1"
    )
    assert "not its ARN" in error_text(
        **{**base, "endpoint_name": "arn:aws:sagemaker:us-east-1:1:endpoint/x"}, region="us-east-1"
    )
    assert "partition" in error_text(**base, region="cn-north-1")
    assert sagemaker(role_arn="arn:aws-cn:iam::123456789012:role/x", region="cn-north-1")
    assert "external id" in error_text(**base, region="us-east-1", external_id="x")


def test_unknown_type_and_unknown_fields_are_refused() -> None:
    assert "must be 'http' or 'sagemaker'" in error_text(type="ftp", name="x")
    assert "token" in error_text(type="http", name="m", url="https://x.example", token="secret")


def test_registry_round_trip(tmp_path: Path) -> None:
    registry = ProviderRegistry(tmp_path / "providers.json")
    assert registry.list() == []
    a = registry.add(http(name="Detector"))
    b = registry.add(sagemaker())
    again = ProviderRegistry(tmp_path / "providers.json")
    assert [c.id for c in again.list()] == [a.id, b.id]
    assert again.get("detector") == a and again.get(b.id) == b
    assert isinstance(again.get("sm"), SageMakerProviderConfig)


def test_registry_names_are_unique_case_insensitively(tmp_path: Path) -> None:
    registry = ProviderRegistry(tmp_path / "providers.json")
    first = registry.add(http(name="Detector"))
    with pytest.raises(DuplicateProviderName, match="already exists"):
        registry.add(http(name="detector"))
    other = registry.add(http(name="other"))
    with pytest.raises(DuplicateProviderName):
        registry.update(other.model_copy(update={"name": "DETECTOR"}))
    renamed = registry.update(first.model_copy(update={"name": "detector"}))
    assert registry.get(first.id).name == renamed.name == "detector"


def test_registry_remove_and_not_found(tmp_path: Path) -> None:
    registry = ProviderRegistry(tmp_path / "providers.json")
    a = registry.add(http(name="a"))
    with pytest.raises(ProviderNotFound, match="known: a"):
        registry.get("b")
    assert registry.remove("a").id == a.id
    assert registry.list() == []
    with pytest.raises(ProviderNotFound, match="none yet"):
        registry.remove("a")
    with pytest.raises(ProviderNotFound):
        registry.update(a)


def test_record_test_result_persists(tmp_path: Path) -> None:
    registry = ProviderRegistry(tmp_path / "providers.json")
    a = registry.add(http(name="a"))
    registry.record_test_result("a", {"ok": False, "category": "tls"})
    stored = ProviderRegistry(tmp_path / "providers.json").get(a.id)
    assert stored.last_test == {"ok": False, "category": "tls"}
    assert stored.last_test_at is not None


def test_registry_writes_atomically_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "providers.json"
    registry = ProviderRegistry(path)
    for index in range(5):
        registry.add(http(name=f"p{index}"))
    assert sorted(p.name for p in path.parent.iterdir()) == ["providers.json"]
    data = json.loads(path.read_text())
    assert data["version"] == 1 and len(data["providers"]) == 5


def test_default_path_is_in_the_config_dir(avala_home: Path) -> None:
    registry = ProviderRegistry()
    registry.add(http())
    assert registry.path == avala_home / "config" / "providers.json"
    assert registry.path.is_file()


def test_corrupt_registry_file_names_the_file_and_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "providers.json"
    path.write_text("{not json")
    with pytest.raises(ProviderError, match=r"providers\.json is not a valid provider file"):
        ProviderRegistry(path).list()
    path.write_text(json.dumps({"providers": [{"type": "http", "name": "x", "url": "http://a"}]}))
    with pytest.raises(ProviderError, match="must use https://"):
        ProviderRegistry(path).list()
