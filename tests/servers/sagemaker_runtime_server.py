"""A loopback stand-in for the SageMaker runtime: `POST /endpoints/{name}/invocations`.

It records every request (path, headers, body) and answers from a queue of canned responses,
shaped like the real service's: success bodies with the endpoint's content type, errors as
rest-json with the `x-amzn-ErrorType` header botocore reads the error code from. Point a
client at it with `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=<server.url>`.
"""

from __future__ import annotations

import json
import re
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

INVOCATIONS_PATH = re.compile(r"^/endpoints/(?P<name>[^/]+)/invocations$")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    endpoint_name: str | None
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def access_key_id(self) -> str | None:
        """The access key id the request was signed with (from the SigV4 credential scope)."""
        match = re.search(r"Credential=([^/]+)/", self.header("Authorization") or "")
        return match.group(1) if match else None


@dataclass(frozen=True)
class CannedResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def json_response(payload: Any, *, status: int = 200, delay_s: float = 0.0) -> CannedResponse:
    return CannedResponse(
        status=status,
        body=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        delay_s=delay_s,
    )


def error_response(status: int, code: str, message: str, **fields: Any) -> CannedResponse:
    """A rest-json error the way the SageMaker runtime sends one."""
    body = {"message": message, **fields}
    return CannedResponse(
        status=status,
        body=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json", "x-amzn-ErrorType": f"{code}:"},
    )


def endpoint_not_found(name: str, account: str = "123456789012") -> CannedResponse:
    return error_response(
        400, "ValidationError", f"Endpoint {name} of account {account} not found."
    )


def model_error(original_status: int, original_message: str, *, name: str) -> CannedResponse:
    log_stream = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/" + name
    return error_response(
        424,
        "ModelError",
        f"Received client error ({original_status}) from primary with message "
        f'"{original_message}". See {log_stream} in account 123456789012 for more information.',
        OriginalStatusCode=original_status,
        OriginalMessage=original_message,
        LogStreamArn=log_stream,
    )


def throttled() -> CannedResponse:
    return error_response(400, "ThrottlingException", "Rate exceeded")


class _QuietTLSServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client refusing our certificate is what the TLS tests provoke, not a server bug.
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            return
        super().handle_error(request, client_address)


class SageMakerRuntimeServer:
    """Threaded HTTP (or HTTPS) server on 127.0.0.1 with a free port."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self._queue: deque[CannedResponse] = deque()
        self.default = json_response({"annotations": []})
        self._lock = threading.Lock()
        self._httpd = _QuietTLSServer(("127.0.0.1", 0), self._handler_class())
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self._httpd.server_address[1]
        return f"{self.scheme}://127.0.0.1:{port}"

    def start(self) -> SageMakerRuntimeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def enqueue(self, *responses: CannedResponse) -> None:
        """Answer the next requests with these, in order; then with `default`."""
        with self._lock:
            self._queue.extend(responses)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.default = json_response({"annotations": []})

    def _next(self, recorded: RecordedRequest) -> CannedResponse:
        with self._lock:
            self.requests.append(recorded)
            return self._queue.popleft() if self._queue else self.default

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, delayed ACKs add 40 ms.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                match = INVOCATIONS_PATH.match(self.path.split("?", 1)[0])
                recorded = RecordedRequest(
                    method="POST",
                    path=self.path,
                    endpoint_name=unquote(match.group("name")) if match else None,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                if match is None:
                    with server._lock:
                        server.requests.append(recorded)
                    canned = error_response(404, "UnknownOperationException", "no such route")
                else:
                    canned = server._next(recorded)
                if canned.delay_s:
                    time.sleep(canned.delay_s)
                try:
                    self.send_response(canned.status)
                    for name, value in canned.headers.items():
                        self.send_header(name, value)
                    self.send_header("x-amzn-RequestId", "loopback-request")
                    self.send_header("Content-Length", str(len(canned.body)))
                    self.end_headers()
                    self.wfile.write(canned.body)
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (its read timeout); nothing left to answer.
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@contextmanager
def running_runtime_server(
    *, ssl_context: ssl.SSLContext | None = None
) -> Iterator[SageMakerRuntimeServer]:
    server = SageMakerRuntimeServer(ssl_context=ssl_context).start()
    try:
        yield server
    finally:
        server.stop()
