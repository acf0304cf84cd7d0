"""`avala-desktop provider ...`: add, list, test and remove inference providers.

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
        help="add, list, test and remove inference providers",
        description="Inference providers: custom HTTPS endpoints and Amazon SageMaker.",
    )
    actions = parser.add_subparsers(dest="provider_action", metavar="ACTION", required=True)
    _register_add_http(actions)
    _register_add_sagemaker(actions)

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


def _register_add_http(actions: Any) -> None:
    add = actions.add_parser(
        "add-http",
        help="add a custom HTTPS endpoint",
        description="The token is read from stdin (--token-stdin) into the OS keyring, or "
        "taken at run time from an environment variable (--token-env); it is never written "
        "to a configuration file.",
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--url", required=True, help="https:// URL the request JSON is POSTed to")
    add.add_argument("--auth", choices=[m.value for m in AuthMode], default=AuthMode.NONE.value)
    add.add_argument("--header-name", metavar="H", help="header carrying the key (auth header)")
    token = add.add_mutually_exclusive_group()
    token.add_argument("--token-env", metavar="VAR", help="environment variable with the token")
    token.add_argument(
        "--token-stdin", action="store_true", help="read the token from stdin into the keyring"
    )
    add.add_argument("--timeout", type=float, default=30.0, metavar="S")
    add.add_argument("--ca-bundle", metavar="PATH", help="PEM file of the CA to trust")
    add.add_argument(
        "--allow-insecure-localhost",
        action="store_true",
        help="allow plain http:// to a model server on this computer (development only)",
    )
    add.set_defaults(func=_add_http)


def _register_add_sagemaker(actions: Any) -> None:
    add = actions.add_parser("add-sagemaker", help="add an Amazon SageMaker endpoint")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--endpoint", required=True, metavar="E", help="endpoint name")
    add.add_argument("--region", required=True, metavar="R", help="AWS region, e.g. us-east-1")
    add.add_argument("--role-arn", required=True, metavar="ARN", help="IAM role to assume")
    add.add_argument("--external-id", metavar="X", help="sts:ExternalId of the role's trust")
    add.add_argument(
        "--payload", choices=[m.value for m in PayloadMode], default=PayloadMode.BINARY.value
    )
    add.add_argument("--profile", metavar="P", help="AWS profile for the base credentials")
    add.add_argument("--timeout", type=float, default=60.0, metavar="S")
    add.set_defaults(func=_add_sagemaker)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _read_token() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Token (input hidden): ").strip()
    return sys.stdin.read().strip()


def _add_http(args: argparse.Namespace) -> int:
    from avala_desktop.inference import secrets

    try:
        config = HttpProviderConfig(
            name=args.name,
            url=args.url,
            auth=AuthMode(args.auth),
            header_name=args.header_name,
            token_env=args.token_env,
            timeout_s=args.timeout,
            ca_bundle=args.ca_bundle,
            allow_insecure_localhost=args.allow_insecure_localhost,
        )
    except ValidationError as exc:
        return _error(describe_validation_error(exc))
    if config.auth is AuthMode.NONE and args.token_stdin:
        return _error("--token-stdin needs --auth bearer or --auth header")
    if config.auth is not AuthMode.NONE and not (args.token_env or args.token_stdin):
        return _error(
            f"auth {config.auth.value} needs a token: pass --token-stdin to store it in the OS "
            "keyring, or --token-env NAME to read it from an environment variable"
        )
    # Checked before reading the token, so nobody types a secret that cannot be kept.
    problem = secrets.keyring_problem() if args.token_stdin else None
    if problem:
        return _error(problem)
    token = _read_token() if args.token_stdin else None
    if args.token_stdin and not token:
        return _error("no token was given on stdin")
    registry = ProviderRegistry()
    try:
        registry.add(config)
    except ProviderError as exc:
        return _error(str(exc))
    if token:
        try:
            secrets.store_secret(config.id, secrets.TOKEN_FIELD, token)
        except secrets.SecretStoreUnavailable as exc:
            registry.remove(config.id)
            return _error(str(exc))
    where = {
        AuthMode.NONE: "no authentication",
        AuthMode.BEARER: "Bearer token",
        AuthMode.HEADER: f"header {config.header_name}",
    }[config.auth]
    source = (
        f", token from ${config.token_env}"
        if config.token_env
        else (", token in the OS keyring" if token else "")
    )
    print(f"added provider {config.name} ({config.id}): {config.url}, {where}{source}")
    return EXIT_OK


def _add_sagemaker(args: argparse.Namespace) -> int:
    try:
        config = SageMakerProviderConfig(
            name=args.name,
            endpoint_name=args.endpoint,
            region=args.region,
            role_arn=args.role_arn,
            external_id=args.external_id,
            payload_mode=PayloadMode(args.payload),
            profile=args.profile,
            timeout_s=args.timeout,
        )
    except ValidationError as exc:
        return _error(describe_validation_error(exc))
    try:
        ProviderRegistry().add(config)
    except ProviderError as exc:
        return _error(str(exc))
    print(
        f"added provider {config.name} ({config.id}): SageMaker endpoint "
        f"{config.endpoint_name} in {config.region}, role {config.role_arn}, "
        f"{config.payload_mode.value} payload"
    )
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    try:
        configs = ProviderRegistry().list()
    except ProviderError as exc:
        return _error(str(exc))
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
        return _error(str(exc))
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
        return _error(str(exc))
    if args.timeout is not None and args.timeout <= 0:
        return _error("--timeout must be a positive number of seconds")
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
