"""`avala-desktop serve-model`: run the bundled reference model server until Ctrl+C.

Exit codes: 0 stopped cleanly, 2 could not start (bad arguments, port in use, unreadable
certificate, token variable unset).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any

EXIT_OK = 0
EXIT_ERROR = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve-model",
        help="run the bundled reference model server (classical computer vision)",
        description="Serve the reference model over HTTP(S): POST / or /predict with the "
        "request JSON, and the SageMaker container routes GET /ping and POST /invocations. "
        "Runs until Ctrl+C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any)")
    parser.add_argument("--tls-cert", metavar="C", help="PEM certificate chain: serve HTTPS")
    parser.add_argument("--tls-key", metavar="K", help="PEM private key of --tls-cert")
    token = parser.add_mutually_exclusive_group()
    token.add_argument("--token", metavar="T", help="require 'Authorization: Bearer T'")
    token.add_argument(
        "--token-env", metavar="VAR", help="require the bearer token held in environment VAR"
    )
    parser.add_argument(
        "--fetch-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds allowed to download one asset from its asset_url (default 30)",
    )
    parser.add_argument(
        "--no-loopback-fetch",
        action="store_true",
        help="refuse asset URLs on loopback or private addresses (for a server exposed beyond "
        "this machine)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.set_defaults(func=run)


def _token(args: argparse.Namespace) -> str | None:
    if args.token_env:
        value = os.environ.get(args.token_env)
        if not value:
            raise ValueError(f"environment variable {args.token_env} is not set or empty")
        return value
    return args.token or None


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.tls_key and not args.tls_cert:
        print("serve-model: --tls-key needs --tls-cert", file=sys.stderr)
        return EXIT_ERROR
    try:
        # Imported here: the server pulls in open3d, which would slow every other verb.
        from avala_desktop.inference.reference_server import ReferenceModelServer

        server = ReferenceModelServer(
            host=args.host,
            port=args.port,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            token=_token(args),
            fetch_timeout_s=args.fetch_timeout,
            allow_loopback_fetch=not args.no_loopback_fetch,
        )
        server.start()
    except ValueError as exc:
        print(f"serve-model: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(
            f"serve-model: cannot serve on {args.host}:{args.port}: {exc.strerror or exc} "
            "(is the port in use, or the certificate/key unreadable?)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    auth = " (bearer token required)" if server.token else ""
    print(f"Reference model server listening on {server.url}{auth}", flush=True)
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    print("Reference model server stopped.", flush=True)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (the SageMaker container's ``serve``) without the other commands."""
    parser = argparse.ArgumentParser(prog="avala-desktop")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["serve-model", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
