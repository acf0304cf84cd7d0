"""`avala-desktop provider update`: edit a provider in place, in-process through main(argv).

An in-memory keyring stands in for the OS secret store; the registry file is the real one under
the test's own AVALA_DESKTOP_HOME.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail

from avala_desktop.cli.main import main
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    ProviderRegistry,
    SageMakerProviderConfig,
    same_connection,
)
from tests.servers.memory_keyring import (
    BrokenKeyring,
    MemoryKeyring,
    installed_keyring,
    memory_keyring,
)

ROLE = "arn:aws:iam::123456789012:role/avala-invoker"
TOKEN = "tok-update-5d1e8a2f9c"
NEW_TOKEN = "tok-rotated-77b03c4e1a"
LAST_TEST = {"ok": True, "category": None, "status": 200, "message": "it works"}


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    with memory_keyring() as backend:
        yield backend


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def give_stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> io.StringIO:
    stream = io.StringIO(text + "\n")
    monkeypatch.setattr(sys, "stdin", stream)
    return stream


def add_http(capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> HttpProviderConfig:
    code, _, err = cli(capsys, "provider", "add-http", name, "--url", "https://a.example/p", *extra)
    assert code == 0, err
    config = ProviderRegistry().get(name)
    assert isinstance(config, HttpProviderConfig)
    return config


def add_sagemaker(capsys: pytest.CaptureFixture[str], *extra: str) -> SageMakerProviderConfig:
    code, _, err = cli(
        capsys, "provider", "add-sagemaker", "detector", "--endpoint", "detector-prod",
        "--region", "eu-west-1", "--role-arn", ROLE, *extra,
    )  # fmt: skip
    assert code == 0, err
    config = ProviderRegistry().get("detector")
    assert isinstance(config, SageMakerProviderConfig)
    return config


def record_ok_test(name: str) -> None:
    ProviderRegistry().record_test_result(name, LAST_TEST)


def update(capsys: pytest.CaptureFixture[str], name: str, *flags: str) -> tuple[int, str, str]:
    return cli(capsys, "provider", "update", name, *flags)


def http(name: str) -> HttpProviderConfig:
    config = ProviderRegistry().get(name)
    assert isinstance(config, HttpProviderConfig)
    return config


def no_secret_anywhere(avala_home: Path, *outputs: str) -> None:
    files = [p.read_text() for p in avala_home.rglob("*") if p.is_file()]
    assert files
    for text in [*files, *outputs]:
        assert TOKEN not in text and NEW_TOKEN not in text


# -- rename, id, last test ----------------------------------------------------------------------


def test_rename_keeps_the_id_the_token_and_the_last_test(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ring: MemoryKeyring
) -> None:
    give_stdin(monkeypatch, TOKEN)
    before = add_http(capsys, "detector", "--auth", "bearer", "--token-stdin", "--timeout", "45")
    record_ok_test("detector")
    code, out, err = update(capsys, "DETECTOR", "--name", "detector-v2")
    assert code == 0, err
    assert out.startswith(f"updated provider detector-v2 ({before.id}): https://a.example/p")
    assert "changed: name\n" in out and "last test kept" in out
    after = http("detector-v2")
    assert after.id == before.id
    assert after.model_dump(exclude={"name", "last_test", "last_test_at"}) == before.model_dump(
        exclude={"name", "last_test", "last_test_at"}
    )
    assert after.last_test == LAST_TEST
    assert ring.entries == {("avala-desktop", f"{before.id}/token"): TOKEN}
    code, _, err = update(capsys, "detector", "--timeout", "10")
    assert code == 2 and "no provider named 'detector'" in err


def test_update_by_id_and_nothing_changed(capsys: pytest.CaptureFixture[str]) -> None:
    config = add_http(capsys, "detector")
    record_ok_test("detector")
    code, out, _ = update(capsys, config.id, "--url", "https://a.example/p", "--auth", "none")
    assert code == 0 and out.startswith(f"provider detector ({config.id}) is unchanged")
    assert http("detector").last_test == LAST_TEST


def test_rename_onto_another_provider_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    add_http(capsys, "a")
    add_http(capsys, "b")
    code, out, err = update(capsys, "b", "--name", "A")
    assert code == 2 and out == ""
    assert "a provider named 'a' already exists" in err
    assert [c.name for c in ProviderRegistry().list()] == ["a", "b"]


def test_unknown_provider_and_no_changes_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = update(capsys, "ghost", "--url", "https://b.example/p")
    assert code == 2 and out == ""
    assert err.startswith("error: no provider named 'ghost'")
    add_http(capsys, "detector")
    code, _, err = update(capsys, "detector")
    assert code == 2 and "nothing to change for provider 'detector'" in err and "--url" in err


def test_same_connection_ignores_only_the_name_and_the_last_test() -> None:
    config = HttpProviderConfig(name="a", url="https://a.example/p")
    assert same_connection(config, config.model_copy(update={"name": "b", "last_test": {}}))
    assert not same_connection(config, config.model_copy(update={"timeout_s": 31.0}))
    assert not same_connection(config, config.model_copy(update={"url": "https://b.example"}))


# -- URL ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("http://10.1.2.3/p", "must use https://"),
        ("http://127.0.0.1:8080/p", "needs --allow-insecure-localhost"),
        ("https://user:pw@a.example/p", "must not contain a user name or password"),
    ],
)
def test_url_change_is_refused_with_the_reason_add_gives(
    capsys: pytest.CaptureFixture[str], url: str, phrase: str
) -> None:
    before = add_http(capsys, "detector")
    record_ok_test("detector")
    code, out, err = update(capsys, "detector", "--url", url)
    assert code == 2 and out == "" and phrase in err
    after = http("detector")
    assert (after.url, after.last_test) == (before.url, LAST_TEST)
    _, _, add_err = cli(capsys, "provider", "add-http", "other", "--url", url)
    assert err == add_err


def test_url_change_clears_the_last_test(capsys: pytest.CaptureFixture[str]) -> None:
    before = add_http(capsys, "detector")
    record_ok_test("detector")
    code, out, err = update(capsys, "detector", "--url", "https://b.example/v2")
    assert code == 0, err
    assert "changed: url" in out
    assert "last test cleared" in out and "provider test detector" in out
    after = http("detector")
    assert (after.id, after.url, after.last_test, after.last_test_at) == (
        before.id, "https://b.example/v2", None, None,
    )  # fmt: skip


def test_local_http_needs_the_flag_and_can_be_switched_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    add_http(capsys, "detector")
    local = "http://127.0.0.1:8080/p"
    code, _, err = update(capsys, "detector", "--url", local, "--allow-insecure-localhost")
    assert code == 0, err
    assert http("detector").allow_insecure_localhost
    code, _, err = update(capsys, "detector", "--no-allow-insecure-localhost")
    assert code == 2 and "needs --allow-insecure-localhost" in err
    code, _, err = update(
        capsys, "detector", "--url", "https://a.example/p", "--no-allow-insecure-localhost"
    )
    assert code == 0, err
    assert not http("detector").allow_insecure_localhost


def test_ca_bundle_is_checked_and_an_empty_value_removes_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    add_http(capsys, "detector")
    code, _, err = update(capsys, "detector", "--ca-bundle", str(tmp_path / "missing.pem"))
    assert code == 2 and "missing.pem does not exist" in err
    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    assert update(capsys, "detector", "--ca-bundle", str(pem))[0] == 0
    assert http("detector").ca_bundle == pem.resolve()
    assert update(capsys, "detector", "--ca-bundle", "")[0] == 0
    assert http("detector").ca_bundle is None


# -- auth and token -----------------------------------------------------------------------------


def test_switching_auth_on_needs_a_token_and_stores_it_in_the_keyring(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ring: MemoryKeyring,
    avala_home: Path,
) -> None:
    config = add_http(capsys, "detector")
    record_ok_test("detector")
    code, _, err = update(capsys, "detector", "--auth", "bearer")
    assert code == 2 and "auth bearer needs a token: pass --token-stdin" in err
    give_stdin(monkeypatch, TOKEN)
    code, out, err = update(capsys, "detector", "--auth", "bearer", "--token-stdin")
    assert code == 0, err
    assert "Bearer token, token in the OS keyring" in out and "changed: auth, token" in out
    assert ring.entries == {("avala-desktop", f"{config.id}/token"): TOKEN}
    after = http("detector")
    assert after.auth is AuthMode.BEARER and after.token_env is None and after.last_test is None
    no_secret_anywhere(avala_home, out, err)


def test_a_new_token_replaces_the_stored_one_and_clears_the_last_test(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ring: MemoryKeyring,
    avala_home: Path,
) -> None:
    give_stdin(monkeypatch, TOKEN)
    config = add_http(capsys, "detector", "--auth", "bearer", "--token-stdin")
    record_ok_test("detector")
    give_stdin(monkeypatch, NEW_TOKEN)
    code, out, err = update(capsys, "detector", "--token-stdin")
    assert code == 0, err
    assert "changed: token" in out and "last test cleared" in out
    assert ring.entries == {("avala-desktop", f"{config.id}/token"): NEW_TOKEN}
    assert http("detector").last_test is None
    no_secret_anywhere(avala_home, out, err)


def test_token_moves_between_keyring_header_and_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ring: MemoryKeyring
) -> None:
    give_stdin(monkeypatch, TOKEN)
    config = add_http(capsys, "detector", "--auth", "bearer", "--token-stdin")
    key = ("avala-desktop", f"{config.id}/token")
    # Bearer -> header: the stored secret becomes the header's value, as in the dialog.
    code, _, err = update(capsys, "detector", "--auth", "header")
    assert code == 2 and "auth 'header' needs the header's name (--header-name" in err
    code, out, err = update(capsys, "detector", "--auth", "header", "--header-name", "X-Api-Key")
    assert code == 0, err
    assert "header X-Api-Key, token in the OS keyring" in out and ring.entries[key] == TOKEN
    code, _, err = update(capsys, "detector", "--token-env", "not a name")
    assert code == 2 and "'not a name' is not an environment variable name" in err
    assert ring.entries[key] == TOKEN
    code, out, err = update(capsys, "detector", "--token-env", "MODEL_KEY")
    assert code == 0, err
    assert "token from $MODEL_KEY" in out and "token was deleted from the OS keyring" in out
    assert key not in ring.entries and http("detector").token_env == "MODEL_KEY"
    # Header -> bearer drops the header's name with it.
    assert update(capsys, "detector", "--auth", "bearer")[0] == 0
    after = http("detector")
    assert (after.auth, after.header_name, after.token_env) == (AuthMode.BEARER, None, "MODEL_KEY")


def test_clear_token_needs_auth_none_and_deletes_the_keyring_entry(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ring: MemoryKeyring
) -> None:
    give_stdin(monkeypatch, TOKEN)
    config = add_http(capsys, "detector", "--auth", "bearer", "--token-stdin")
    code, _, err = update(capsys, "detector", "--clear-token")
    assert code == 2 and "--clear-token would leave auth bearer without a token" in err
    assert ring.entries and http("detector").auth is AuthMode.BEARER
    code, out, err = update(capsys, "detector", "--auth", "none", "--clear-token")
    assert code == 0, err
    assert "no authentication" in out and "token was deleted from the OS keyring" in out
    assert ring.entries == {} and http("detector").auth is AuthMode.NONE
    with pytest.raises(SystemExit):
        main(["provider", "update", config.id, "--clear-token", "--token-stdin"])


def test_auth_none_alone_deletes_the_stored_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, ring: MemoryKeyring
) -> None:
    give_stdin(monkeypatch, TOKEN)
    add_http(capsys, "detector", "--auth", "header", "--header-name", "X-Key", "--token-stdin")
    code, _, err = update(capsys, "detector", "--auth", "none", "--token-stdin")
    assert code == 2 and "--token-stdin needs --auth bearer or --auth header" in err
    code, _, err = update(capsys, "detector", "--auth", "none")
    assert code == 0, err
    after = http("detector")
    assert (after.auth, after.header_name, after.token_env) == (AuthMode.NONE, None, None)
    assert ring.entries == {}


def test_no_keyring_refuses_before_reading_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = add_http(capsys, "detector")
    stdin = give_stdin(monkeypatch, TOKEN)
    with installed_keyring(fail.Keyring()):
        code, out, err = update(capsys, "detector", "--auth", "bearer", "--token-stdin")
    assert code == 2 and out == "" and "--token-env NAME instead" in err
    assert stdin.tell() == 0  # nobody was asked for a secret that could not be kept
    assert http("detector") == before


def test_keyring_refusing_the_write_restores_the_provider(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_http(capsys, "detector")
    record_ok_test("detector")
    before = http("detector")
    give_stdin(monkeypatch, TOKEN)
    with installed_keyring(BrokenKeyring()):
        code, out, err = update(capsys, "detector", "--auth", "bearer", "--token-stdin")
    assert code == 2 and out == "" and "the keyring refused the write" in err
    assert TOKEN not in err
    assert http("detector") == before  # auth none again, last test still there


# -- SageMaker ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value", "phrase"),
    [
        ("--region", "mars-north-1", "region: 'mars-north-1' is not an AWS region"),
        ("--role-arn", "avala-invoker", "role_arn: 'avala-invoker' is not an IAM role ARN"),
        ("--role-arn", "arn:aws-cn:iam::123456789012:role/r", "in partition 'aws-cn'"),
        ("--endpoint", "detector_prod", "is not a SageMaker endpoint name"),
        ("--timeout", "0", "timeout_s"),
    ],
)
def test_sagemaker_settings_are_validated_like_add(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, phrase: str
) -> None:
    before = add_sagemaker(capsys)
    code, out, err = update(capsys, "detector", flag, value)
    assert code == 2 and out == "" and phrase in err
    assert ProviderRegistry().get("detector") == before


def test_sagemaker_update_keeps_cli_only_settings(capsys: pytest.CaptureFixture[str]) -> None:
    before = add_sagemaker(
        capsys, "--external-id", "ext-123", "--profile", "ops", "--timeout", "120"
    )
    record_ok_test("detector")
    code, out, err = update(
        capsys, "detector", "--region", "us-east-1", "--role-arn",
        "arn:aws:iam::210987654321:role/invoker-2", "--payload", "json", "--external-id", "",
    )  # fmt: skip
    assert code == 0, err
    assert "SageMaker endpoint detector-prod in us-east-1" in out and "json payload" in out
    assert "changed: region, role-arn, external-id, payload" in out
    after = ProviderRegistry().get("detector")
    assert isinstance(after, SageMakerProviderConfig) and after.id == before.id
    assert (after.region, after.external_id, after.profile, after.timeout_s) == (
        "us-east-1", None, "ops", 120,
    )  # fmt: skip
    assert after.last_test is None and "last test cleared" in out


# -- flags of the other type --------------------------------------------------------------------


def test_flags_of_the_other_type_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    sagemaker = add_sagemaker(capsys)
    code, out, err = update(
        capsys, "detector", "--url", "https://a.example/p", "--region", "us-east-1"
    )
    assert code == 2 and out == ""
    assert "--url does not apply to provider 'detector', which is an Amazon SageMaker" in err
    assert "--role-arn" in err  # the flags that do apply are listed
    code, _, err = update(capsys, "detector", "--token-stdin")
    assert code == 2 and "--token-stdin does not apply" in err
    assert ProviderRegistry().get("detector") == sagemaker

    add_http(capsys, "web")
    code, _, err = update(capsys, "web", "--region", "us-east-1", "--profile", "ops")
    assert code == 2
    assert "--region, --profile do not apply to provider 'web', which is a custom HTTP" in err
    assert "--url" in err and "--clear-token" in err
