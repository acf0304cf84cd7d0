"""Secrets in the OS keyring (an in-memory backend stands in for the OS store)."""

from __future__ import annotations

import logging

import pytest
from keyring.backends import fail

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.inference import secrets
from avala_desktop.inference.http_client import HttpClient
from avala_desktop.inference.providers import HttpProviderConfig
from tests.servers.memory_keyring import BrokenKeyring, MemoryKeyring, installed_keyring

TOKEN = "sk-live-7f3a9c1e5b"


def bearer(**fields: object) -> HttpProviderConfig:
    return HttpProviderConfig.model_validate(
        {"name": "m", "url": "https://models.example/p", "auth": "bearer", **fields}
    )


def test_store_load_delete(ring: MemoryKeyring) -> None:
    secrets.store_secret("inf_0123456789ab", "token", TOKEN)
    assert ring.entries == {("avala-desktop", "inf_0123456789ab/token"): TOKEN}
    assert secrets.load_secret("inf_0123456789ab") == TOKEN
    assert secrets.delete_secret("inf_0123456789ab") is True
    assert secrets.load_secret("inf_0123456789ab") is None
    assert secrets.delete_secret("inf_0123456789ab") is False


def test_no_backend_refuses_and_points_to_token_env() -> None:
    with installed_keyring(fail.Keyring()):
        assert not secrets.keyring_available()
        problem = secrets.keyring_problem()
        assert problem is not None and "--token-env NAME" in problem
        with pytest.raises(secrets.SecretStoreUnavailable, match="--token-env NAME"):
            secrets.store_secret("inf_0123456789ab", "token", TOKEN)
        assert secrets.delete_secret("inf_0123456789ab") is False


def test_keyring_errors_are_refused_without_echoing_the_secret() -> None:
    # BrokenKeyring's own error message contains the password; ours must not.
    with installed_keyring(BrokenKeyring()):
        with pytest.raises(secrets.SecretStoreUnavailable) as info:
            secrets.store_secret("inf_0123456789ab", "token", TOKEN)
        assert "--token-env" in str(info.value)
        assert TOKEN not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__
        with pytest.raises(secrets.SecretStoreUnavailable, match="refused the read"):
            secrets.load_secret("inf_0123456789ab")


def test_resolve_from_keyring(ring: MemoryKeyring) -> None:
    config = bearer()
    with pytest.raises(InferenceFailure) as info:
        secrets.resolve_secret(config)
    assert info.value.category is FailureCategory.CONFIG
    assert "--token-stdin" in info.value.message
    secrets.store_secret(config.id, secrets.TOKEN_FIELD, TOKEN)
    assert secrets.resolve_secret(config) == TOKEN
    assert secrets.resolve_secret(HttpProviderConfig(name="n", url="https://a.example")) is None


def test_resolve_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = bearer(token_env="AVALA_TEST_TOKEN")
    monkeypatch.delenv("AVALA_TEST_TOKEN", raising=False)
    with pytest.raises(InferenceFailure, match="AVALA_TEST_TOKEN, which is not set"):
        secrets.resolve_secret(config)
    monkeypatch.setenv("AVALA_TEST_TOKEN", TOKEN)
    # The environment wins even where no keyring exists (the headless case).
    with installed_keyring(fail.Keyring()):
        assert secrets.resolve_secret(config) == TOKEN


def test_resolve_without_keyring_is_a_config_failure() -> None:
    with installed_keyring(fail.Keyring()), pytest.raises(InferenceFailure) as info:
        secrets.resolve_secret(bearer())
    assert info.value.category is FailureCategory.CONFIG
    assert "--token-env" in info.value.message


def test_secret_never_in_repr_dump_or_logs(
    ring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = bearer()
    secrets.store_secret(config.id, secrets.TOKEN_FIELD, TOKEN)
    client = HttpClient(config, secrets.resolve_secret(config))
    try:
        shown = [repr(config), config.model_dump_json(), repr(client), repr(client._session.auth)]
        assert all(TOKEN not in text for text in shown)
    finally:
        client.close()
    assert TOKEN not in caplog.text
    assert "inf_" in caplog.text  # the store was logged, by provider id only


def test_http_client_refuses_a_token_with_a_line_break() -> None:
    with pytest.raises(InferenceFailure) as info:
        HttpClient(bearer(), TOKEN + "\n")
    assert info.value.category is FailureCategory.CONFIG and TOKEN not in info.value.message
    with pytest.raises(InferenceFailure, match="no token was given"):
        HttpClient(bearer(), None)
