"""Serves project assets to model servers at HMAC-signed, expiring URLs (PRODUCT.md §2).

A URL is `/assets/<asset id>?exp=<unix time>&sig=<hex HMAC-SHA256(secret, id + "\\n" + exp)>`.
The id goes to the `resolver` callable, which returns the bytes and content type or None; the
URL never names a file, so path traversal is impossible by construction. A signature is checked
in constant time; a bad or expired one answers 403, an unknown id 404, any method but GET or
HEAD 405. Signatures never reach a log line.

The server runs on its own thread (a `ThreadingHTTPServer`, one thread per connection), binds
127.0.0.1 by default, and can bind another interface and advertise another host name for a
model server on another machine, optionally over TLS.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from avala_desktop.inference.http_serving import (
    HandshakingHandler,
    ThreadedHTTPServer,
    server_tls_context,
)

log = logging.getLogger(__name__)

Resolver = Callable[[str], tuple[bytes, str] | None]

ASSET_PREFIX = "/assets/"
DEFAULT_TTL_S = 3600
_SIG_IN_TEXT = re.compile(r"sig=[0-9A-Za-z%]+")
_ALL_INTERFACES = frozenset({"", "0.0.0.0", "::"})


def sign(secret: bytes, asset_id: str, exp: int) -> str:
    message = f"{asset_id}\n{exp}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _scrub(text: str) -> str:
    return _SIG_IN_TEXT.sub("sig=[hidden]", text)


class _Server(ThreadedHTTPServer):
    def __init__(
        self, address: tuple[str, int], owner: AssetServer, tls: ssl.SSLContext | None
    ) -> None:
        self.owner = owner
        super().__init__(address, _Handler, tls)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client dropping the connection or failing the handshake is routine, not a traceback.
        log.debug("asset server: connection from %s ended with an error", client_address[0])


class _Handler(HandshakingHandler):
    server: _Server
    server_version = "avala-asset-server"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _refuse_method(self) -> None:
        self._reply(405, b"method not allowed\n", "text/plain", {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse_method

    def _serve(self, *, send_body: bool) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        raw_id = parts.path.removeprefix(ASSET_PREFIX)
        if not parts.path.startswith(ASSET_PREFIX) or not raw_id or "/" in raw_id:
            self._reply(404, b"not found\n", "text/plain", send_body=send_body)
            return
        asset_id = unquote(raw_id)
        query = parse_qs(parts.query, keep_blank_values=True)
        exp_values, sig_values = query.get("exp", []), query.get("sig", [])
        if (
            len(exp_values) != 1
            or len(sig_values) != 1
            or not owner.verify(asset_id, exp_values[0], sig_values[0])
        ):
            self._reply(403, b"invalid or expired signature\n", "text/plain", send_body=send_body)
            return
        try:
            found = owner.resolver(asset_id)
        except Exception as exc:  # a resolver bug must answer 500, not drop the connection
            log.warning("asset server: resolving %r failed: %s", asset_id, type(exc).__name__)
            self._reply(500, b"asset could not be read\n", "text/plain", send_body=send_body)
            return
        if found is None:
            self._reply(404, b"unknown asset\n", "text/plain", send_body=send_body)
            return
        data, content_type = found
        self._reply(200, data, content_type, send_body=send_body)

    def _reply(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        *,
        send_body: bool = True,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                log.debug("asset server: client left before the body was sent")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(self.path).path if hasattr(self, "path") else "?"
        log.debug("asset server: %s %s -> %s", getattr(self, "command", "?"), path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("asset server: %s", _scrub(format % args))


class AssetServer:
    """A signed-URL asset server on its own thread; use as a context manager or start/stop."""

    def __init__(
        self,
        resolver: Resolver,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        advertised_host: str | None = None,
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
        secret: bytes | None = None,
    ) -> None:
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("TLS for the asset server needs both a certificate and its key")
        self.resolver = resolver
        self.host = host
        self._requested_port = port
        self.advertised_host = advertised_host
        # A fresh random key per server: URLs die with the process, which is what we want.
        self._secret = secret if secret is not None else os.urandom(32)
        self._tls = server_tls_context(tls_cert, tls_key) if tls_cert and tls_key else None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = f"port {self.port}" if self._server else "stopped"
        return f"AssetServer({self.host!r}, {state})"

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the asset server is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def base_url(self) -> str:
        host = self.advertised_host or ("127.0.0.1" if self.host in _ALL_INTERFACES else self.host)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    def start(self) -> AssetServer:
        if self._server is not None:
            return self
        self._server = _Server((self.host, self._requested_port), self, self._tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"avala-asset-server:{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.debug("asset server listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> AssetServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url_for(
        self, asset_id: str, ttl_s: int = DEFAULT_TTL_S, *, now: float | None = None
    ) -> str:
        """A URL for `asset_id`, valid for `ttl_s` seconds from `now` (default: the clock)."""
        exp = int(now if now is not None else time.time()) + int(ttl_s)
        sig = sign(self._secret, asset_id, exp)
        return f"{self.base_url}{ASSET_PREFIX}{quote(asset_id, safe='')}?exp={exp}&sig={sig}"

    def verify(self, asset_id: str, exp: str, sig: str, *, now: float | None = None) -> bool:
        """True when `sig` signs (asset_id, exp) and `exp` lies in the future."""
        if not exp.isdigit() or len(exp) > 12:
            return False
        expected = sign(self._secret, asset_id, int(exp))
        # Compare first, in constant time, whatever the expiry says: the timing of a reply must
        # not tell a forger anything about the signature.
        valid = hmac.compare_digest(expected.encode(), sig.encode("ascii", "replace"))
        return valid and int(exp) > (now if now is not None else time.time())
