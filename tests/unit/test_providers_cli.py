"""`avala-desktop provider` verbs that need no server: add-sagemaker, list, remove, errors."""

from __future__ import annotations

import json

import pytest

from avala_desktop.cli.main import main
from avala_desktop.inference.providers import ProviderRegistry, SageMakerProviderConfig
from tests.cli_support import cli

ROLE = "arn:aws:iam::123456789012:role/avala-invoker"


def add_sagemaker(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return cli(
        capsys,
        "provider",
        "add-sagemaker",
        "detector",
        "--endpoint",
        "detector-prod",
        "--region",
        "eu-west-1",
        "--role-arn",
        ROLE,
        *extra,
    )


def test_add_sagemaker_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = add_sagemaker(
        capsys, "--external-id", "ext-123", "--payload", "json", "--profile", "ops"
    )
    assert code == 0, err
    assert "SageMaker endpoint detector-prod in eu-west-1" in out and "json payload" in out
    config = ProviderRegistry().get("detector")
    assert isinstance(config, SageMakerProviderConfig)
    assert (config.external_id, config.profile, config.timeout_s) == ("ext-123", "ops", 60)

    code, out, _ = cli(capsys, "provider", "list")
    header, row = out.splitlines()
    assert header.split() == ["NAME", "TYPE", "ID", "TARGET", "AUTH", "LAST", "TEST"]
    assert row.split()[:2] == ["detector", "sagemaker"]
    assert "detector-prod (eu-west-1)" in row and row.endswith("never")

    code, out, _ = cli(capsys, "provider", "list", "--json")
    [listed] = json.loads(out)
    assert listed["role_arn"] == ROLE and listed["payload_mode"] == "json"


@pytest.mark.parametrize(
    ("flag", "value", "phrase"),
    [
        ("--region", "mars-north-1", "region: 'mars-north-1' is not an AWS region"),
        ("--role-arn", "avala-invoker", "role_arn: 'avala-invoker' is not an IAM role ARN"),
        ("--endpoint", "detector_prod", "is not a SageMaker endpoint name"),
        ("--timeout", "0", "timeout_s"),
    ],
)
def test_add_sagemaker_refuses_bad_settings_with_the_reason(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, phrase: str
) -> None:
    argv = {
        "--endpoint": "detector-prod",
        "--region": "eu-west-1",
        "--role-arn": ROLE,
        "--timeout": "60",
        flag: value,
    }
    args = [item for pair in argv.items() for item in pair]
    code, out, err = cli(capsys, "provider", "add-sagemaker", "detector", *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and phrase in err
    assert ProviderRegistry().list() == []


def test_empty_list_and_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "provider", "list")
    assert code == 0 and "no providers yet" in out
    code, _, err = cli(capsys, "provider", "remove", "ghost")
    assert code == 2 and "no provider named 'ghost'" in err
    with pytest.raises(SystemExit) as info:
        main(["provider"])
    assert info.value.code == 2


def test_remove_sagemaker(capsys: pytest.CaptureFixture[str]) -> None:
    assert add_sagemaker(capsys)[0] == 0
    code, out, _ = cli(capsys, "provider", "remove", "DETECTOR")
    assert code == 0 and out.startswith("removed provider detector (inf_")
    assert ProviderRegistry().list() == []


def test_token_stdin_needs_an_auth_mode(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(
        capsys, "provider", "add-http", "m", "--url", "https://a.example/p", "--token-stdin"
    )
    assert code == 2 and "--token-stdin needs --auth bearer or --auth header" in err
    with pytest.raises(SystemExit):
        main(["provider", "add-http", "m", "--url", "https://a.example", "--token-env", "A",
              "--token-stdin"])  # fmt: skip
