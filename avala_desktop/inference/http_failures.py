"""Turn what `requests` raises or a server answers into an `InferenceFailure` an admin can act on.

Kept apart from the client so the transport loop stays readable; every sentence here names the
host and the setting to change, never a secret.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

import requests
import urllib3.exceptions

from avala_desktop.core.errors import FailureCategory, InferenceFailure

# OpenSSL X509_V_ERR_* codes as exposed on ssl.SSLCertVerificationError.verify_code.
_X509_NOT_YET_VALID = 9
_X509_EXPIRED = 10
_X509_UNTRUSTED = frozenset({2, 18, 19, 20, 21, 27})
_X509_HOSTNAME_MISMATCH = 62
_X509_IP_MISMATCH = 64


_GATEWAY_STATUSES = {
    502: "a proxy in front of the model server got no valid answer from it",
    503: "the service is unavailable",
    504: "a proxy in front of the model server timed out waiting for it",
}


@dataclass(frozen=True)
class Endpoint:
    """The parts of the endpoint URL that messages mention (never the query string)."""

    host: str
    port: int
    url: str  # scheme://host:port/path, for messages

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class Retryable(Exception):
    """A failure worth another attempt; `retry_after` is the server's requested wait, if any."""

    def __init__(self, failure: InferenceFailure, retry_after: float | None = None) -> None:
        super().__init__(failure.message)
        self.failure = failure
        self.retry_after = retry_after


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps: requests -> urllib3 -> ssl/socket errors."""
    seen: set[int] = set()
    queue: list[BaseException] = [exc]
    while queue:
        current = queue.pop(0)
        if id(current) in seen or len(seen) > 32:
            continue
        seen.add(id(current))
        yield current
        nested: list[object] = [current.__cause__, current.__context__]
        nested.append(getattr(current, "reason", None))
        nested.extend(current.args)
        queue.extend(item for item in nested if isinstance(item, BaseException))


def _find(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    return next((item for item in causes(exc) if isinstance(item, kind)), None)


def tls_failure(exc: BaseException, endpoint: Endpoint) -> InferenceFailure:
    verify = _find(exc, ssl.SSLCertVerificationError)
    if isinstance(verify, ssl.SSLCertVerificationError):
        code = verify.verify_code
        if code == _X509_EXPIRED:
            message = (
                f"The certificate of {endpoint.where} has expired: the server's administrator "
                "must renew it (if it looks valid, check this computer's clock)."
            )
        elif code == _X509_NOT_YET_VALID:
            message = (
                f"The certificate of {endpoint.where} is not valid yet: check this computer's "
                "clock, or wait until the new certificate's start date."
            )
        elif code in (_X509_HOSTNAME_MISMATCH, _X509_IP_MISMATCH):
            message = (
                f"The certificate of {endpoint.where} was issued for another host name: use "
                "the name the certificate covers in the URL, or reissue it with "
                f"{endpoint.host} in its subject alternative names."
            )
        elif code in _X509_UNTRUSTED:
            message = (
                f"The certificate of {endpoint.where} is not signed by an authority this "
                "computer trusts: give the signing CA as a PEM file with --ca-bundle PATH, or "
                "install a certificate from a public CA on the server."
            )
        else:
            message = (
                f"The certificate of {endpoint.where} could not be verified "
                f"({verify.verify_message}): fix the server's certificate chain or the CA bundle."
            )
        return InferenceFailure(FailureCategory.TLS, message, detail=verify.verify_message)
    reason = str(_find(exc, ssl.SSLError) or exc)
    if "WRONG_VERSION_NUMBER" in reason or "record layer failure" in reason:
        message = (
            f"{endpoint.where} did not answer in TLS: it may serve plain http on this port; "
            "check the port, or enable https on the server."
        )
    else:
        message = (
            f"The TLS handshake with {endpoint.where} failed: check that the server offers "
            "TLS 1.2 or newer with a certificate for this host."
        )
    return InferenceFailure(FailureCategory.TLS, message, detail=reason[:300])


def transport_failure(
    exc: BaseException, endpoint: Endpoint, timeout_s: float
) -> InferenceFailure | Retryable:
    """Classify an exception raised while sending or reading; Retryable when worth retrying."""
    if isinstance(exc, requests.exceptions.SSLError) or _find(exc, ssl.SSLError):
        return tls_failure(exc, endpoint)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Retryable(
            InferenceFailure(
                FailureCategory.CONNECT,
                f"{endpoint.where} did not accept a connection within {timeout_s:g} s: check the "
                "host and port, and that no firewall drops the traffic.",
            )
        )
    if isinstance(exc, requests.exceptions.ReadTimeout | urllib3.exceptions.ReadTimeoutError):
        return InferenceFailure(
            FailureCategory.TIMEOUT,
            f"{endpoint.where} accepted the request but did not answer within {timeout_s:g} s: "
            "raise the provider's timeout, or check the model server's load.",
        )
    if _find(exc, urllib3.exceptions.NameResolutionError) or _find(exc, socket.gaierror):
        return InferenceFailure(
            FailureCategory.DNS,
            f"The host name {endpoint.host} could not be resolved: check its spelling in the "
            "URL and this computer's DNS or VPN connection.",
        )
    if _find(exc, ConnectionRefusedError):
        return Retryable(
            InferenceFailure(
                FailureCategory.CONNECT,
                f"Nothing is listening on {endpoint.where} (connection refused): check the port "
                "in the URL and that the model server is running.",
            )
        )
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return InferenceFailure(
            FailureCategory.BAD_RESPONSE,
            f"{endpoint.where} sent a compressed body that does not decompress: check the "
            "server's Content-Encoding handling.",
        )
    if isinstance(
        exc,
        requests.exceptions.ChunkedEncodingError | urllib3.exceptions.ProtocolError,
    ) or _find(exc, ConnectionResetError):
        return Retryable(
            InferenceFailure(
                FailureCategory.CONNECT,
                f"{endpoint.where} closed the connection before the response was complete: "
                "check the model server's logs for a crash or a proxy limit.",
            )
        )
    if isinstance(exc, requests.exceptions.ConnectionError | OSError):
        return Retryable(
            InferenceFailure(
                FailureCategory.CONNECT,
                f"Could not connect to {endpoint.where}: check the URL, the network and any "
                "proxy settings.",
                detail=type(exc).__name__,
            )
        )
    return InferenceFailure(
        FailureCategory.CONNECT,
        f"The request to {endpoint.where} failed ({type(exc).__name__}): check the URL.",
    )


def status_failure(status: int, endpoint: Endpoint, snippet: str) -> InferenceFailure:
    """A non-2xx answer that will not be retried (or whose retries ran out)."""
    detail = snippet or None
    said = f' The server said: "{snippet}"' if snippet else ""
    if status == 401:
        message = (
            f"{endpoint.url} rejected the credentials (401 Unauthorized): check the token "
            "stored for this provider and the auth mode (Bearer or custom header)."
        )
    elif status == 403:
        message = (
            f"{endpoint.url} refused access (403 Forbidden): the credentials are not allowed "
            "to call this endpoint, or an allow-list blocks this computer."
        )
    elif status == 404:
        message = (
            f"Nothing answers at {endpoint.url} (404 Not Found): check the path in the "
            "provider's URL."
        )
    elif status == 429:
        return InferenceFailure(
            FailureCategory.THROTTLED,
            f"{endpoint.url} is still rate limiting after all retries (429 Too Many Requests): "
            "lower the number of parallel workers or raise the server's rate limit.",
            status=status,
            detail=detail,
        )
    elif status in _GATEWAY_STATUSES:
        return InferenceFailure(
            FailureCategory.SERVER_ERROR,
            f"{endpoint.where} answered HTTP {status} ({_GATEWAY_STATUSES[status]}): check "
            "that the model server behind it is running and not overloaded." + said,
            status=status,
            detail=detail,
        )
    elif status >= 500:
        return InferenceFailure(
            FailureCategory.SERVER_ERROR,
            f"The model server at {endpoint.where} failed with HTTP {status}: check its logs."
            + said,
            status=status,
            detail=detail,
        )
    elif 400 <= status < 500:
        return InferenceFailure(
            FailureCategory.CLIENT_ERROR,
            f"{endpoint.url} rejected the request with HTTP {status}: check that the server "
            "accepts the avala request JSON (asset_id, asset_url, labels ...)." + said,
            status=status,
            detail=detail,
        )
    else:
        return InferenceFailure(
            FailureCategory.BAD_RESPONSE,
            f"{endpoint.url} answered with unexpected HTTP status {status}: the endpoint must "
            "answer 200 with the annotations JSON.",
            status=status,
            detail=detail,
        )
    category = FailureCategory.NOT_FOUND if status == 404 else FailureCategory.AUTH
    return InferenceFailure(category, message, status=status, detail=detail)
