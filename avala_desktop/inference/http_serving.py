"""What the app's small HTTP(S) servers share: one thread per connection, IPv4 or IPv6 by the
address, and TLS negotiated on the connection's own thread, so one slow or hostile client
cannot stall the accept loop.

    server = ThreadedHTTPServer((host, port), MyHandler, tls=server_tls_context(cert, key))

`MyHandler` derives from `HandshakingHandler`, which finishes the handshake under its
`timeout` before reading the request.
"""

from __future__ import annotations

import http.server
import socket
import ssl
from os import PathLike
from typing import Any

StrPath = str | PathLike[str]


def server_tls_context(cert: StrPath, key: StrPath | None = None) -> ssl.SSLContext:
    """A server context for a PEM certificate (and its key, unless the certificate file holds
    it), TLS 1.2 or newer."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key) if key else None)
    return context


class ThreadedHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[http.server.BaseHTTPRequestHandler],
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.tls = tls
        super().__init__(address, handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = super().get_request()
        if self.tls is not None:
            # Wrapped only: the handshake happens on the handler's thread (HandshakingHandler).
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


class HandshakingHandler(http.server.BaseHTTPRequestHandler):
    """Completes a deferred TLS handshake, bounded by `timeout`, before the request is read."""

    timeout = 30

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()
