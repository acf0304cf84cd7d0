"""A scriptable model server for tests: HTTPS with trustme certificates (or plain HTTP), loopback.

API
---
Certificates (trustme; everything in a temporary directory)::

    certs = ServerCerts.create(tmp_path)
    certs.ca_pem                      # Path: give it to the client as ca_bundle
    certs.context()                   # ssl.SSLContext for 127.0.0.1 / localhost / ::1
    certs.context("wrong.example")    # certificate for another host name
    certs.context(expired=True)       # certificate that expired yesterday
    ServerCerts.create(other_dir)     # a second, unrelated CA (an "untrusted" one)

Server::

    with ModelServer(tls=certs.context()) as server:       # tls=None: plain http
        server.route("/predict", ok_json())                   # per path ...
        server.default = status_response(404)                 # ... or for every other path
        url = server.url("/predict")                          # https://127.0.0.1:<port>/predict
        server.url("/predict", host="localhost")
        server.requests                                       # list[RecordedRequest], in order
        server.requests_to("/predict")
        {r.client_port for r in server.requests}              # the connections the client used

Responders (each `Callable[[ScriptHandler, RecordedRequest], None]`):

    ok_json(annotations=None)          200 {"annotations": [...]} (default: one bounding box)
    json_response(obj, status=200, headers=None)
    json_from_request(fn)              200 with fn(request JSON) -> obj, for auto-label tests
    status_response(code, body=b"", headers=None)
    sequence(r1, r2, ...)              r1 for the first call, r2 for the second ...; last repeats
    slow(seconds, then=ok_json())      answer only after `seconds` (wakes early on stop)
    oversize(n_bytes, declare_length)  a 200 body of n bytes; with or without Content-Length
    invalid_json()                     200 with a body that is not JSON
    gzip_bomb(decoded_bytes)           200, Content-Encoding gzip, small on the wire, huge decoded
    reset_mid_body()                   headers + part of the body, then a TCP reset
    redirect(location, code=307)       a redirect to `location`

`ModelServer(fetch_assets=True)` makes the server download each request's `asset_url` (the
signed URL of the app's asset server) before answering, recording the bytes or the error in
`RecordedRequest.asset_bytes` / `.asset_error`, and answering 400 when the download fails,
like a real model server that cannot read its input.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import socket
import ssl
import struct
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme

from avala_desktop.inference.http_serving import HandshakingHandler, ThreadedHTTPServer

DEFAULT_IDENTITIES = ("127.0.0.1", "localhost", "::1")
DEFAULT_ANNOTATIONS: list[dict[str, Any]] = [
    {
        "type": "bounding_box",
        "label": "object",
        "confidence": 0.9,
        "coordinates": {"x": 8, "y": 8, "width": 22, "height": 22},
    }
]


@dataclass
class ServerCerts:
    ca: trustme.CA
    directory: Path

    @classmethod
    def create(cls, directory: Path) -> ServerCerts:
        directory.mkdir(parents=True, exist_ok=True)
        certs = cls(trustme.CA(), directory)
        certs.ca.cert_pem.write_to_path(str(certs.ca_pem))
        return certs

    @property
    def ca_pem(self) -> Path:
        return self.directory / "ca.pem"

    def context(self, *identities: str, expired: bool = False) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        cert = self.ca.issue_cert(
            *(identities or DEFAULT_IDENTITIES),
            not_before=now - dt.timedelta(days=2) if expired else None,
            not_after=now - dt.timedelta(days=1) if expired else None,
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        return context


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float
    client_port: int = 0  # distinct ports = distinct connections (pooling shows here)
    asset_bytes: bytes | None = None
    asset_error: str | None = None
    json: Any = field(default=None)


Responder = Callable[["ScriptHandler", RecordedRequest], None]


class ScriptHandler(HandshakingHandler):
    server: _ScriptServer
    protocol_version = "HTTP/1.1"
    server_version = "test-model-server"
    sys_version = ""

    def do_POST(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            received_at=time.monotonic(),
            client_port=int(self.client_address[1]),
        )
        try:
            record.json = json.loads(body) if body else None
        except ValueError:
            record.json = None
        owner = self.server.owner
        if owner.fetch_assets and isinstance(record.json, dict) and record.json.get("asset_url"):
            _fetch_asset(record, str(record.json["asset_url"]))
        owner._record(record)
        if record.asset_error is not None:
            json_response({"error": record.asset_error}, status=400)(self, record)
            return
        owner.responder_for(self.path.split("?", 1)[0])(self, record)

    def send_body(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `server.requests` instead."""


def _fetch_asset(record: RecordedRequest, url: str) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            record.asset_bytes = response.read()
    except (urllib.error.URLError, OSError) as exc:
        record.asset_error = f"cannot fetch asset_url: {exc}"


class _ScriptServer(ThreadedHTTPServer):
    # The app's own server plumbing (as the asset server uses it): what is under test is the
    # client, and a difference in TLS handling here would only test the test server.
    def __init__(self, host: str, owner: ModelServer, tls: ssl.SSLContext | None) -> None:
        self.owner = owner
        super().__init__((host, 0), ScriptHandler, tls)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients rejecting the certificate or hanging up are part of the scripts."""


class ModelServer:
    def __init__(
        self,
        tls: ssl.SSLContext | None = None,
        *,
        host: str = "127.0.0.1",
        fetch_assets: bool = False,
    ) -> None:
        self.tls = tls
        self.host = host
        self.fetch_assets = fetch_assets
        self.default: Responder = ok_json()
        self.stopping = threading.Event()
        self._routes: dict[str, Responder] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server: _ScriptServer | None = None
        self._thread: threading.Thread | None = None

    def route(self, path: str, responder: Responder) -> ModelServer:
        self._routes[path] = responder
        return self

    def responder_for(self, path: str) -> Responder:
        return self._routes.get(path, self.default)

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    @property
    def port(self) -> int:
        assert self._server is not None, "start the server first"
        return int(self._server.server_address[1])

    def url(self, path: str = "/predict", *, host: str | None = None) -> str:
        scheme = "https" if self.tls else "http"
        name = host or self.host
        name = f"[{name}]" if ":" in name else name
        return f"{scheme}://{name}:{self.port}{path}"

    def start(self) -> ModelServer:
        self._server = _ScriptServer(self.host, self, self.tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- responders -------------------------------------------------------------------------------


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Responder:
    body = json.dumps(obj).encode()

    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_body(status, body, "application/json", headers)

    return respond


def ok_json(annotations: list[dict[str, Any]] | None = None) -> Responder:
    return json_response(
        {"annotations": DEFAULT_ANNOTATIONS if annotations is None else annotations}
    )


def json_from_request(fn: Callable[[Any], Any]) -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        json_response(fn(request.json))(handler, request)

    return respond


def status_response(
    code: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_body(code, body, "text/plain", headers)

    return respond


def sequence(*responders: Responder) -> Responder:
    lock = threading.Lock()
    calls = [0]

    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        with lock:
            index = min(calls[0], len(responders) - 1)
            calls[0] += 1
        responders[index](handler, request)

    return respond


def slow(seconds: float, then: Responder | None = None) -> Responder:
    after = then or ok_json()

    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        if handler.server.owner.stopping.wait(seconds):
            handler.close_connection = True
            return
        after(handler, request)

    return respond


def oversize(n_bytes: int, *, declare_length: bool = True) -> Responder:
    """A 200 whose body is `n_bytes` long (a JSON string padded with spaces)."""
    chunk = b" " * 65536

    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if declare_length:
            handler.send_header("Content-Length", str(n_bytes))
        else:
            handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        sent = 0
        try:
            handler.wfile.write(b'{"annotations": []')
            sent = 18
            while sent < n_bytes:
                piece = chunk[: min(len(chunk), n_bytes - sent)]
                handler.wfile.write(piece)
                sent += len(piece)
        except OSError:
            return  # the client stopped reading at its cap, as it should

    return respond


def invalid_json() -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_body(200, b"<html>this is not JSON</html>", "application/json")

    return respond


@functools.lru_cache(maxsize=4)
def _bomb(decoded_bytes: int) -> bytes:
    # Compressed piecewise so building the bomb never holds it inflated either.
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    zeros = bytes(1024 * 1024)
    parts = [
        packer.compress(zeros[: min(len(zeros), decoded_bytes - offset)])
        for offset in range(0, decoded_bytes, len(zeros))
    ]
    return b"".join(parts) + packer.flush()


def gzip_bomb(decoded_bytes: int = 64 * 1024 * 1024) -> Responder:
    """Built when the responder is created, so it costs nothing while a test measures."""
    _bomb(decoded_bytes)

    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_body(
            200, _bomb(decoded_bytes), "application/json", {"Content-Encoding": "gzip"}
        )

    return respond


def reset_mid_body() -> Responder:
    def respond(handler: ScriptHandler, request: RecordedRequest) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        handler.wfile.write(b'{"annotations": [' + b" " * 1000)
        handler.wfile.flush()
        # SO_LINGER 0: close() sends a TCP RST instead of an orderly FIN.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()

    return respond


def redirect(location: str, code: int = 307) -> Responder:
    return status_response(code, b"", {"Location": location})
