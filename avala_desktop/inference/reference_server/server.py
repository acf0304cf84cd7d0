"""The reference model server: the PRODUCT.md §2-3 protocol and the SageMaker container contract.

Routes
- ``POST /`` and ``POST /predict``: the request JSON; the asset is downloaded from
  ``asset_url`` (size cap, timeout) or taken inline from ``asset_data`` (base64).
- ``POST /invocations`` (SageMaker): ``application/json`` as above, or any other content type
  with the asset bytes as the body and the request fields as JSON in the
  ``X-Amzn-SageMaker-Custom-Attributes`` header.
- ``GET /ping`` (SageMaker health) and ``GET /health``: 200 while serving; no token needed.

Answers ``{"annotations": [...]}``; errors are JSON ``{"error": "<sentence>"}`` with 400 (bad
request or undecodable asset), 401 (token), 404, 405, 411/413 (body length), 502 (asset not
downloadable) or 500 (a predictor failed). One thread per connection (HTTP/1.1 keep-alive);
with a certificate, TLS is negotiated in that thread, so a slow handshake never blocks accept.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import ssl
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from os import PathLike
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from avala_desktop import __version__
from avala_desktop.inference.http_serving import server_tls_context
from avala_desktop.inference.reference_server import protocol
from avala_desktop.inference.reference_server.fetch import DEFAULT_MAX_ASSET_BYTES
from avala_desktop.inference.reference_server.predictors import PREDICTORS

log = logging.getLogger(__name__)

SAGEMAKER_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
DEFAULT_MAX_REQUEST_BYTES = 256 * 1024 * 1024
IDLE_TIMEOUT_S = 120.0
HANDSHAKE_TIMEOUT_S = 15.0
PUBLIC_PATHS = frozenset({"/ping", "/health"})
PREDICT_PATHS = frozenset({"/", "/predict", "/invocations"})

StrPath = str | PathLike[str]


class _HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: ReferenceModelServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        context = self.app.ssl_context
        conn = request
        if context is not None:
            try:
                request.settimeout(HANDSHAKE_TIMEOUT_S)
                conn = context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake with %s failed: %s", client_address, exc)
                return
        with self._lock:
            self._connections.add(conn)
        try:
            _Handler(conn, client_address, self)
        finally:
            with self._lock:
                self._connections.discard(conn)
            if conn is not request:
                conn.close()

    def close_connections(self) -> None:
        """Wake every handler blocked on an idle keep-alive connection so it can end."""
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"avala-reference/{__version__}"
    timeout = IDLE_TIMEOUT_S
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    # routing

    def do_GET(self) -> None:
        path = self._path()
        if path in PUBLIC_PATHS:
            self._send_json(HTTPStatus.OK, self.server.app.health())
        elif path in PREDICT_PATHS:
            self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, f"use POST for {path}")
        else:
            self._send_error(HTTPStatus.NOT_FOUND, f"no route {path}; try POST /predict")

    def do_POST(self) -> None:
        path = self._path()
        try:
            if path not in PREDICT_PATHS:
                # Drain the body so the keep-alive connection stays in sync.
                self._read_body()
                raise _HttpError(HTTPStatus.NOT_FOUND, f"no route {path}; try POST /predict")
            self._check_token()
            body = self._read_body()
            document = self._predict(path, body)
        except _HttpError as exc:
            self._send_error(exc.status, exc.message)
        except protocol.BadRequest as exc:
            self._send_error(HTTPStatus.BAD_REQUEST, str(exc))
        except protocol.AssetUnavailable as exc:
            self._send_error(HTTPStatus.BAD_GATEWAY, str(exc))
        except Exception as exc:
            # The one place that must not die with the thread: the client gets a 500.
            log.exception("prediction failed")
            self._send_error(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                f"the model failed on this asset ({type(exc).__name__}: {exc})",
            )
        else:
            self._send_json(HTTPStatus.OK, document)

    def _predict(self, path: str, body: bytes) -> dict[str, Any]:
        app = self.server.app
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if path == "/invocations" and ctype != "application/json":
            request = protocol.parse_attributes(self.headers.get(SAGEMAKER_ATTRIBUTES))
            asset = protocol.load_asset(request, app.fetch_policy, body=body, content_type=ctype)
        else:
            request = protocol.parse_json_body(body)
            asset = protocol.load_asset(request, app.fetch_policy)
        return protocol.answer(request, asset)

    # plumbing

    def _path(self) -> str:
        return urlsplit(self.path).path.rstrip("/") or "/"

    def _check_token(self) -> None:
        token = self.server.app.token
        if token is None:
            return
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            value.strip().encode(), token.encode()
        ):
            self._read_body()
            raise _HttpError(
                HTTPStatus.UNAUTHORIZED,
                "missing or wrong bearer token: send 'Authorization: Bearer <token>'",
            )

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            raise _HttpError(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not raw.strip().isdigit():
            self.close_connection = True
            raise _HttpError(HTTPStatus.BAD_REQUEST, f"Content-Length {raw!r} is not a number")
        length = int(raw)
        limit = self.server.app.max_request_bytes
        if length > limit:
            self.close_connection = True
            raise _HttpError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request is {length} bytes; this server accepts at most {limit}",
            )
        return self.rfile.read(length)

    def _send_json(self, status: HTTPStatus, document: Any) -> None:
        payload = json.dumps(document, separators=(",", ":"), allow_nan=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", 'Bearer realm="avala-reference"')
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def _send_error(self, status: HTTPStatus, message: str) -> None:
        self._send_json(status, {"error": message, "status": int(status)})


class ReferenceModelServer:
    """The bundled classical-CV model server; ``start()`` runs it on a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        tls_cert: StrPath | None = None,
        tls_key: StrPath | None = None,
        token: str | None = None,
        fetch_timeout_s: float = 30.0,
        allow_loopback_fetch: bool = True,
        *,
        max_asset_bytes: int = DEFAULT_MAX_ASSET_BYTES,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        fetch_verify: bool | StrPath = True,
    ) -> None:
        if tls_key is not None and tls_cert is None:
            raise ValueError("a TLS key was given without its certificate (tls_cert)")
        self.host = host
        self.requested_port = port
        self.token = token or None
        self.max_request_bytes = max_request_bytes
        self.fetch_policy = protocol.FetchPolicy(
            timeout_s=fetch_timeout_s,
            max_bytes=max_asset_bytes,
            allow_loopback=allow_loopback_fetch,
            verify=fetch_verify if isinstance(fetch_verify, bool) else str(fetch_verify),
        )
        self.ssl_context = server_tls_context(tls_cert, tls_key) if tls_cert is not None else None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def port(self) -> int:
        if self._server is None:
            return self.requested_port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "model": "avala-reference",
            "version": __version__,
            "predictors": [p.name for p in PREDICTORS],
        }

    def _bind(self) -> _Server:
        if self._server is not None:
            raise RuntimeError(f"the server is already running at {self.url}")
        self._server = _Server((self.host, self.requested_port), self)
        return self._server

    def start(self) -> int:
        """Bind and serve on a daemon thread; returns the bound port (useful with port 0)."""
        server = self._bind()
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"reference-server:{self.port}", daemon=True
        )
        self._thread.start()
        return self.port

    def serve_forever(self) -> None:
        """Bind and serve on the calling thread until ``stop()`` is called from another."""
        server = self._bind()
        try:
            server.serve_forever()
        finally:
            self._close()

    def stop(self) -> None:
        """Stop accepting, close idle connections and join the serving thread; idempotent."""
        server = self._server
        if server is None:
            return
        server.shutdown()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._close()

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close_connections()
            server.server_close()

    def __enter__(self) -> ReferenceModelServer:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
