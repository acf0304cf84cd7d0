"""`avala-desktop provider update NAME ...`: edit a provider in place, as Settings > Inference >
Edit does.

The id stays, so the keyring entry and anything else that refers to the provider by id still
finds it. Only the given settings change; the others are kept, including those only the command
line sets (a SageMaker profile or timeout, the HTTP retry limits). The edited configuration is
validated by the same models as `add-http` / `add-sagemaker`, so the reasons read the same.

The token follows the dialog's rules: a new one from stdin replaces the keyring entry; moving
to `--token-env` or to `--auth none` deletes the entry, so no secret outlives the setting that
used it. The last test is kept only while `same_connection` says the provider is reached the
same way and no new token was given: otherwise it no longer describes the provider.
"""

from __future__ import annotations

import argparse
from enum import Enum
from typing import Any

from pydantic import ValidationError

from avala_desktop.cli.provider_cmds import (
    EXIT_OK,
    HTTP_SETTINGS,
    SAGEMAKER_SETTINGS,
    TOKEN_FLAGS,
    TOKEN_STDIN_NEEDS_AUTH,
    CommandError,
    describe,
    fail,
    flag,
    needs_token,
    read_keyring_token,
)
from avala_desktop.inference import secrets
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    ProviderError,
    ProviderRegistry,
    SageMakerProviderConfig,
    describe_validation_error,
    same_connection,
)

Config = HttpProviderConfig | SageMakerProviderConfig
# Optional settings that an empty value removes, as an emptied field of the dialog does.
_REMOVABLE = frozenset({"header_name", "ca_bundle", "external_id", "profile"})
_BOOKKEEPING = frozenset({"last_test", "last_test_at"})
_ALL_FLAGS = tuple(dict.fromkeys((*HTTP_SETTINGS, *SAGEMAKER_SETTINGS, *TOKEN_FLAGS)))


class _Token(Enum):
    """What the update does to the provider's keyring entry."""

    KEEP = "keep"
    STORE = "store"  # a new token from stdin replaces it
    DELETE = "delete"  # the provider no longer reads a token from the keyring


def update_provider(args: argparse.Namespace) -> int:
    registry = ProviderRegistry()
    try:
        old = registry.get(args.name)
        new, plan = _edited(old, args)
        if plan is _Token.STORE or not same_connection(old, new):
            new = new.model_copy(update={"last_test": None, "last_test_at": None})
        token = read_keyring_token() if plan is _Token.STORE else None
        changed = _changed(old, new)
        if changed or token:
            _save(registry, old, new, token)
    except (CommandError, ProviderError) as exc:
        return fail(str(exc))
    removed = plan is _Token.DELETE and secrets.delete_secret(new.id)
    if token or removed:
        changed.append("token")
    if not changed:
        print(f"provider {old.name} ({old.id}) is unchanged: {describe(old)}")
        return EXIT_OK
    print(f"updated provider {new.name} ({new.id}): {describe(new)}")
    print(f"  changed: {', '.join(changed)}")
    if removed:
        print("  its token was deleted from the OS keyring")
    if old.last_test is not None:
        if new.last_test is not None:
            print("  last test kept: the provider is reached the same way")
        else:
            print(
                "  last test cleared: it tested the old settings; run "
                f"'avala-desktop provider test {new.name}'"
            )
    return EXIT_OK


def _edited(old: Config, args: argparse.Namespace) -> tuple[Config, _Token]:
    """The provider with the given settings applied and validated, and what to do with its
    token. Raises CommandError with the reason."""
    http = isinstance(old, HttpProviderConfig)
    table = HTTP_SETTINGS if http else SAGEMAKER_SETTINGS
    own = [*table, *TOKEN_FLAGS] if http else list(table)
    given = [dest for dest in _ALL_FLAGS if hasattr(args, dest)]
    foreign = [dest for dest in given if dest not in own]
    if foreign:
        kind = "a custom HTTP endpoint" if http else "an Amazon SageMaker endpoint"
        verb = "does" if len(foreign) == 1 else "do"
        raise CommandError(
            f"{', '.join(flag(d) for d in foreign)} {verb} not apply to provider {old.name!r}, "
            f"which is {kind}; its settings are --name, {', '.join(flag(d) for d in own)}"
        )
    if not given and not hasattr(args, "new_name"):
        raise CommandError(
            f"nothing to change for provider {old.name!r}: give --name NEW or any of "
            f"{', '.join(flag(d) for d in own)}"
        )
    values = old.model_dump()
    if hasattr(args, "new_name"):
        values["name"] = args.new_name
    for dest, field in table.items():
        if dest in given:
            values[field] = _value(field, getattr(args, dest))
    plan = _token_plan(old, args, values) if isinstance(old, HttpProviderConfig) else _Token.KEEP
    try:
        return type(old).model_validate(values), plan
    except ValidationError as exc:
        raise CommandError(describe_validation_error(exc)) from None


def _value(field: str, value: Any) -> Any:
    if field in _REMOVABLE and isinstance(value, str) and not value.strip():
        return None
    return value


def _token_plan(
    old: HttpProviderConfig, args: argparse.Namespace, values: dict[str, Any]
) -> _Token:
    """Set the token settings in `values` the way the dialog's auth fields do."""
    auth = AuthMode(values["auth"])
    if auth is not AuthMode.HEADER and not hasattr(args, "header_name"):
        values["header_name"] = None  # the header's name belongs to header auth
    if hasattr(args, "token_stdin"):
        if auth is AuthMode.NONE:
            raise CommandError(TOKEN_STDIN_NEEDS_AUTH)
        values["token_env"] = None
        return _Token.STORE
    if hasattr(args, "token_env"):
        # With auth none the model refuses the variable, in add-http's words.
        values["token_env"] = args.token_env
        return _Token.DELETE
    if hasattr(args, "clear_token") and auth is not AuthMode.NONE:
        raise CommandError(
            f"--clear-token would leave auth {auth.value} without a token: give a new one with "
            "--token-stdin or --token-env VAR, or stop authenticating with --auth none"
        )
    if auth is AuthMode.NONE:
        values["token_env"] = None
        return _Token.DELETE
    if old.auth is AuthMode.NONE:
        raise CommandError(needs_token(auth))
    return _Token.KEEP


def _changed(old: Config, new: Config) -> list[str]:
    """The settings that differ, named as their flags are (without the dashes)."""
    before = old.model_dump(exclude=set(_BOOKKEEPING))
    after = new.model_dump(exclude=set(_BOOKKEEPING))
    names = {field: dest for dest, field in (*HTTP_SETTINGS.items(), *SAGEMAKER_SETTINGS.items())}
    names["token_env"] = "token_env"
    return [
        names.get(field, field).replace("_", "-")
        for field in after
        if after[field] != before[field]
    ]


def _save(registry: ProviderRegistry, old: Config, new: Config, token: str | None) -> None:
    registry.update(new)
    if not token:
        return
    try:
        secrets.store_secret(new.id, secrets.TOKEN_FIELD, token)
    except secrets.SecretStoreUnavailable as exc:
        registry.update(old)  # no provider that needs a token the keyring did not keep
        raise CommandError(str(exc)) from None
