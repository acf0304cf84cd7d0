"""Provider secrets (Bearer tokens, custom header values) in the OS keyring.

The keyring entry is (service `avala-desktop`, user `<provider id>/<field>`). Where the machine
has no working keyring (a headless server: keyring falls back to its `fail` backend) we refuse
to store the secret rather than write it anywhere else, and point at `--token-env NAME`, which
keeps only the *name* of an environment variable in the configuration.

No function here puts a secret into an exception message or a log line: messages name the
provider and the field, never the value.
"""

from __future__ import annotations

import logging
import os

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    SageMakerProviderConfig,
)

SERVICE = "avala-desktop"
# One field covers both auth modes: it is the Bearer token or the custom header's value.
TOKEN_FIELD = "token"

log = logging.getLogger(__name__)

_NO_KEYRING = (
    "no working OS keyring on this machine ({why}), so the token cannot be stored safely; "
    "put it in an environment variable and pass its name with --token-env NAME instead"
)


class SecretStoreUnavailable(Exception):
    """No usable keyring backend; the message says what to do instead."""


def _key(provider_id: str, field: str) -> str:
    return f"{provider_id}/{field}"


def _backend_problem() -> str | None:
    """Why the current keyring backend cannot hold secrets, or None when it can."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return "no keyring backend is available"
    try:
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return "the keyring is configured as the null backend, which stores nothing"
    except ImportError:  # pragma: no cover - null backend ships with keyring
        pass
    return None


def keyring_available() -> bool:
    return _backend_problem() is None


def keyring_problem() -> str | None:
    """The sentence to show when no keyring can hold a secret; None when one can."""
    problem = _backend_problem()
    return _NO_KEYRING.format(why=problem) if problem else None


def store_secret(provider_id: str, field: str, value: str) -> None:
    """Store `value` for the provider, or raise `SecretStoreUnavailable`."""
    problem = _backend_problem()
    if problem:
        raise SecretStoreUnavailable(_NO_KEYRING.format(why=problem))
    if not value:
        raise ValueError("the token is empty; nothing to store")
    try:
        keyring.set_password(SERVICE, _key(provider_id, field), value)
        # Some backends accept a write and drop it (a locked collection); check it stuck.
        stored = keyring.get_password(SERVICE, _key(provider_id, field))
    except keyring.errors.KeyringError as exc:
        raise SecretStoreUnavailable(
            _NO_KEYRING.format(why=f"the keyring refused the write: {type(exc).__name__}")
        ) from None
    if stored != value:
        raise SecretStoreUnavailable(
            _NO_KEYRING.format(why="the keyring accepted the token but did not keep it")
        )
    log.debug("stored %s for provider %s in the keyring", field, provider_id)


def load_secret(provider_id: str, field: str = TOKEN_FIELD) -> str | None:
    """The stored value, or None when there is none. Raises `SecretStoreUnavailable`."""
    problem = _backend_problem()
    if problem:
        raise SecretStoreUnavailable(_NO_KEYRING.format(why=problem))
    try:
        return keyring.get_password(SERVICE, _key(provider_id, field))
    except keyring.errors.KeyringError as exc:
        raise SecretStoreUnavailable(
            _NO_KEYRING.format(why=f"the keyring refused the read: {type(exc).__name__}")
        ) from None


def delete_secret(provider_id: str, field: str = TOKEN_FIELD) -> bool:
    """Remove the stored value; False when there was none or no keyring works."""
    if _backend_problem():
        return False
    try:
        keyring.delete_password(SERVICE, _key(provider_id, field))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        log.warning(
            "could not delete %s of provider %s from the keyring: %s",
            field,
            provider_id,
            type(exc).__name__,
        )
        return False
    return True


def resolve_secret(config: HttpProviderConfig | SageMakerProviderConfig) -> str | None:
    """The secret the provider authenticates with, from its env variable or the keyring.

    None when the provider needs none. Raises `InferenceFailure(CONFIG)` with the step to take
    when it needs one and none can be found.
    """
    if not isinstance(config, HttpProviderConfig) or config.auth is AuthMode.NONE:
        return None
    if config.token_env:
        value = os.environ.get(config.token_env)
        if not value:
            raise InferenceFailure(
                FailureCategory.CONFIG,
                f"provider {config.name!r} reads its token from the environment variable "
                f"{config.token_env}, which is not set in this session; set it before starting "
                "avala-desktop",
            )
        return value
    try:
        value = load_secret(config.id, TOKEN_FIELD)
    except SecretStoreUnavailable as exc:
        raise InferenceFailure(FailureCategory.CONFIG, str(exc)) from None
    if not value:
        raise InferenceFailure(
            FailureCategory.CONFIG,
            f"no token is stored in the keyring for provider {config.name!r}; add it again "
            "with --token-stdin, or use --token-env NAME",
        )
    return value
