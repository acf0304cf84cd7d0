"""`avala-desktop provider ...`: add, update, list, test and remove inference providers.

Exit codes: 0 done (for `test`: the connection works), 1 `test` found the connection broken,
2 the command could not be carried out (bad arguments, unknown provider, no keyring).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from pydantic import ValidationError

from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    PayloadMode,
    ProviderError,
    ProviderRegistry,
    SageMakerProviderConfig,
    describe_validation_error,
)

EXIT_OK = 0
EXIT_TEST_FAILED = 1
EXIT_ERROR = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "provider",
        help="add, update, list, test and remove inference providers",
        description="Inference providers: custom HTTPS endpoints and Amazon SageMaker.",
    )
    actions = parser.add_subparsers(dest="provider_action", metavar="ACTION", required=True)
    _register_add_http(actions)
    _register_add_sagemaker(actions)
    _register_update(actions)

    listing = actions.add_parser("list", help="list the configured providers")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=_list)

    remove = actions.add_parser("remove", help="remove a provider and its stored token")
    remove.add_argument("name", metavar="NAME", help="provider name or id")
    remove.set_defaults(func=_remove)

    test = actions.add_parser(
        "test",
        help="send a probe image to the provider and report whether it works",
        description="Exit status 0 when the connection works, 1 when it does not.",
    )
    test.add_argument("name", metavar="NAME", help="provider name or id")
    test.add_argument("--json", action="store_true", help="print the result as JSON")
    test.add_argument(
        "--timeout", type=float, metavar="S", help="timeout for this test (default: provider's)"
    )
    test.set_defaults(func=_test)


# Settings flag (argparse dest) -> configuration field, per provider type. add-* and update read
# the settings through these tables, so both verbs take and validate them the same way.
HTTP_SETTINGS: dict[str, str] = {
    "url": "url",
    "auth": "auth",
    "header_name": "header_name",
    "timeout": "timeout_s",
    "ca_bundle": "ca_bundle",
    "allow_insecure_localhost": "allow_insecure_localhost",
}
SAGEMAKER_SETTINGS: dict[str, str] = {
    "endpoint": "endpoint_name",
    "region": "region",
    "role_arn": "role_arn",
    "external_id": "external_id",
    "payload": "payload_mode",
    "profile": "profile",
    "timeout": "timeout_s",
}
# Where an HTTP provider's token comes from; not configuration fields of their own.
TOKEN_FLAGS: tuple[str, ...] = ("token_env", "token_stdin", "clear_token")
TOKEN_STDIN_NEEDS_AUTH = "--token-stdin needs --auth bearer or --auth header"


class CommandError(Exception):
    """The command cannot be carried out; the message says why (exit status 2)."""


def flag(dest: str) -> str:
    """`role_arn` -> `--role-arn`: every settings flag is named after its dest."""
    return "--" + dest.replace("_", "-")


def _default(update: bool, value: Any) -> Any:
    # On update an absent flag stays out of the namespace, so only the given settings change.
    return argparse.SUPPRESS if update else value


def _removable(help_text: str, update: bool) -> str:
    return f"{help_text}; '' removes it" if update else help_text


def add_timeout_flag(parser: argparse.ArgumentParser, *, update: bool, default: float) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=_default(update, default),
        metavar="S",
        help="seconds to wait for the model, 1-600" + ("" if update else f" (default {default:g})"),
    )


def add_http_flags(parser: argparse.ArgumentParser, *, update: bool) -> None:
    """The custom HTTPS settings of add-http and update, with the token source flags."""
    group = parser.add_argument_group("custom HTTP endpoint") if update else parser
    group.add_argument(
        "--url",
        required=not update,
        default=_default(update, None),
        help="https:// URL the request JSON is POSTed to",
    )
    group.add_argument(
        "--auth",
        choices=[m.value for m in AuthMode],
        default=_default(update, AuthMode.NONE.value),
    )
    group.add_argument(
        "--header-name",
        metavar="H",
        default=_default(update, None),
        help=_removable("header carrying the key (auth header)", update),
    )
    token = group.add_mutually_exclusive_group()
    token.add_argument(
        "--token-env",
        metavar="VAR",
        default=_default(update, None),
        help="environment variable with the token",
    )
    token.add_argument(
        "--token-stdin",
        action="store_true",
        default=_default(update, False),
        help="read the token from stdin into the keyring",
    )
    if update:
        token.add_argument(
            "--clear-token",
            action="store_true",
            default=argparse.SUPPRESS,
            help="remove the token from the keyring and forget its variable (with --auth none)",
        )
    group.add_argument(
        "--ca-bundle",
        metavar="PATH",
        default=_default(update, None),
        help=_removable("PEM file of the CA to trust", update),
    )
    group.add_argument(
        "--allow-insecure-localhost",
        # On update the setting must be switchable off as well: --no-allow-insecure-localhost.
        action=argparse.BooleanOptionalAction if update else "store_true",
        default=_default(update, False),
        help="allow plain http:// to a model server on this computer (development only)",
    )


def add_sagemaker_flags(parser: argparse.ArgumentParser, *, update: bool) -> None:
    """The SageMaker settings of add-sagemaker and update."""
    group = parser.add_argument_group("Amazon SageMaker endpoint") if update else parser
    for option, metavar, help_text in (
        ("--endpoint", "E", "endpoint name"),
        ("--region", "R", "AWS region, e.g. us-east-1"),
        ("--role-arn", "ARN", "IAM role to assume"),
    ):
        group.add_argument(
            option,
            required=not update,
            default=_default(update, None),
            metavar=metavar,
            help=help_text,
        )
    group.add_argument(
        "--external-id",
        metavar="X",
        default=_default(update, None),
        help=_removable("sts:ExternalId of the role's trust", update),
    )
    group.add_argument(
        "--payload",
        choices=[m.value for m in PayloadMode],
        default=_default(update, PayloadMode.BINARY.value),
    )
    group.add_argument(
        "--profile",
        metavar="P",
        default=_default(update, None),
        help=_removable("AWS profile for the base credentials", update),
    )


def settings_from(args: argparse.Namespace, table: dict[str, str]) -> dict[str, Any]:
    """The configuration fields given on the command line, by field name."""
    return {field: getattr(args, dest) for dest, field in table.items() if hasattr(args, dest)}


def _register_add_http(actions: Any) -> None:
    add = actions.add_parser(
        "add-http",
        help="add a custom HTTPS endpoint",
        description="The token is read from stdin (--token-stdin) into the OS keyring, or "
        "taken at run time from an environment variable (--token-env); it is never written "
        "to a configuration file.",
    )
    add.add_argument("name", metavar="NAME")
    add_http_flags(add, update=False)
    add_timeout_flag(add, update=False, default=30.0)
    add.set_defaults(func=_add_http)


def _register_add_sagemaker(actions: Any) -> None:
    add = actions.add_parser("add-sagemaker", help="add an Amazon SageMaker endpoint")
    add.add_argument("name", metavar="NAME")
    add_sagemaker_flags(add, update=False)
    add_timeout_flag(add, update=False, default=60.0)
    add.set_defaults(func=_add_sagemaker)


def _register_update(actions: Any) -> None:
    update = actions.add_parser(
        "update",
        help="change a provider's settings in place (same id)",
        description="Change only the settings given; the others are kept. The flags of the "
        "provider's own type apply (custom HTTP or SageMaker). The last test result is kept "
        "unless the change touches how the provider is reached. A token goes to the OS keyring "
        "as with add-http, never to a configuration file.",
    )
    update.add_argument("name", metavar="NAME", help="provider name or id")
    update.add_argument(
        "--name", dest="new_name", metavar="NEW", default=argparse.SUPPRESS, help="rename it"
    )
    add_timeout_flag(update, update=True, default=30.0)
    add_http_flags(update, update=True)
    add_sagemaker_flags(update, update=True)
    update.set_defaults(func=_update)


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def read_keyring_token() -> str:
    """The token from stdin, for the keyring; checks the keyring can keep it first."""
    from avala_desktop.inference import secrets

    # Checked before reading the token, so nobody types a secret that cannot be kept.
    problem = secrets.keyring_problem()
    if problem:
        raise CommandError(problem)
    if sys.stdin.isatty():
        token = getpass.getpass("Token (input hidden): ").strip()
    else:
        token = sys.stdin.read().strip()
    if not token:
        raise CommandError("no token was given on stdin")
    return token


def needs_token(auth: AuthMode) -> str:
    return (
        f"auth {auth.value} needs a token: pass --token-stdin to store it in the OS "
        "keyring, or --token-env NAME to read it from an environment variable"
    )


def describe(config: HttpProviderConfig | SageMakerProviderConfig) -> str:
    """What the provider reaches and how; names where the token is, never the token."""
    if isinstance(config, SageMakerProviderConfig):
        return (
            f"SageMaker endpoint {config.endpoint_name} in {config.region}, role "
            f"{config.role_arn}, {config.payload_mode.value} payload"
        )
    where = {
        AuthMode.NONE: "no authentication",
        AuthMode.BEARER: "Bearer token",
        AuthMode.HEADER: f"header {config.header_name}",
    }[config.auth]
    source = ""
    if config.token_env:
        source = f", token from ${config.token_env}"
    elif config.auth is not AuthMode.NONE:
        source = ", token in the OS keyring"
    return f"{config.url}, {where}{source}"


def _add_http(args: argparse.Namespace) -> int:
    from avala_desktop.inference import secrets

    try:
        config = HttpProviderConfig(
            name=args.name, token_env=args.token_env, **settings_from(args, HTTP_SETTINGS)
        )
    except ValidationError as exc:
        return fail(describe_validation_error(exc))
    if config.auth is AuthMode.NONE and args.token_stdin:
        return fail(TOKEN_STDIN_NEEDS_AUTH)
    if config.auth is not AuthMode.NONE and not (args.token_env or args.token_stdin):
        return fail(needs_token(config.auth))
    try:
        token = read_keyring_token() if args.token_stdin else None
    except CommandError as exc:
        return fail(str(exc))
    registry = ProviderRegistry()
    try:
        registry.add(config)
    except ProviderError as exc:
        return fail(str(exc))
    if token:
        try:
            secrets.store_secret(config.id, secrets.TOKEN_FIELD, token)
        except secrets.SecretStoreUnavailable as exc:
            registry.remove(config.id)
            return fail(str(exc))
    print(f"added provider {config.name} ({config.id}): {describe(config)}")
    return EXIT_OK


def _add_sagemaker(args: argparse.Namespace) -> int:
    try:
        config = SageMakerProviderConfig(name=args.name, **settings_from(args, SAGEMAKER_SETTINGS))
    except ValidationError as exc:
        return fail(describe_validation_error(exc))
    try:
        ProviderRegistry().add(config)
    except ProviderError as exc:
        return fail(str(exc))
    print(f"added provider {config.name} ({config.id}): {describe(config)}")
    return EXIT_OK


def _update(args: argparse.Namespace) -> int:
    # Imported on use: the update verb builds on this module's flag tables and helpers.
    from avala_desktop.cli.provider_update_cmd import update_provider

    return update_provider(args)


def _list(args: argparse.Namespace) -> int:
    try:
        configs = ProviderRegistry().list()
    except ProviderError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps([c.model_dump(mode="json") for c in configs], indent=2))
        return EXIT_OK
    if not configs:
        print("no providers yet; add one with 'avala-desktop provider add-http' or 'add-sagemaker'")
        return EXIT_OK
    rows = [("NAME", "TYPE", "ID", "TARGET", "AUTH", "LAST TEST")]
    for c in configs:
        auth = c.auth.value if isinstance(c, HttpProviderConfig) else "aws role"
        last = "never"
        if c.last_test is not None:
            last = "ok" if c.last_test.get("ok") else f"failed ({c.last_test.get('category')})"
        rows.append((c.name, c.type.value, c.id, c.target, auth, last))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from avala_desktop.inference import secrets

    try:
        removed = ProviderRegistry().remove(args.name)
    except ProviderError as exc:
        return fail(str(exc))
    note = ""
    if isinstance(removed, HttpProviderConfig) and secrets.delete_secret(removed.id):
        note = " and its token in the keyring"
    print(f"removed provider {removed.name} ({removed.id}){note}")
    return EXIT_OK


def _test(args: argparse.Namespace) -> int:
    from avala_desktop.inference.test_connection import test_connection

    registry = ProviderRegistry()
    try:
        config = registry.get(args.name)
    except ProviderError as exc:
        return fail(str(exc))
    if args.timeout is not None and args.timeout <= 0:
        return fail("--timeout must be a positive number of seconds")
    result = test_connection(config, registry=registry, timeout_s=args.timeout)
    if args.json:
        print(result.model_dump_json(indent=2))
    elif result.ok:
        parts = [f"HTTP {result.status}" if result.status else None]
        parts.append(f"{result.latency_ms:.0f} ms" if result.latency_ms is not None else None)
        count = result.annotations_parsed or 0
        parts.append(f"{count} annotation{'' if count == 1 else 's'}")
        if result.problems:
            parts.append(f"{result.problems} skipped as invalid")
        if result.tls_subject and result.tls_not_after:
            parts.append(
                f"certificate {result.tls_subject}, expires {result.tls_not_after:%Y-%m-%d}"
            )
        print(f"ok  {config.name}: " + ", ".join(p for p in parts if p))
        for reason in result.problem_reasons:
            print(f"    skipped: {reason}")
    else:
        status = f" (HTTP {result.status})" if result.status else ""
        category = result.category.value if result.category else "cancelled"
        print(f"failed  {config.name}: {category}{status}: {result.message}")
    return EXIT_OK if result.ok else EXIT_TEST_FAILED
