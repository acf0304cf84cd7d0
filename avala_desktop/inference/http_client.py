"""The custom HTTPS provider client (PRODUCT.md §1-2): POST the request JSON, read the answer.

Transport rules, each one a decision an admin relies on:
- https only; plain http only to a loopback host of a provider marked as a local development
  server. TLS is always verified (certifi's store, or the provider's CA bundle).
- Retries with exponential backoff and full jitter on connection errors, 429, 502, 503, 504,
  honouring Retry-After up to `max_retry_wait_s`; a longer requested wait gives up at once
  (retrying earlier would only be refused again). Other 4xx and read timeouts are not retried.
- Redirects are followed by hand, only to the same scheme, host and port, at most 3 times, so
  the token never travels to a host the admin did not configure.
- The body is streamed through urllib3's decoder in chunks and counted after decompression,
  so neither a huge body nor a gzip bomb is ever held whole: past the cap it fails TOO_LARGE.

Threading: one `requests.Session` is shared by all worker threads. That is safe here because
the only mutable session state requests touches per request is the cookie jar (cookie policy
blocks every cookie, and the jar locks itself anyway) and the urllib3 pool manager, which is
thread-safe; headers, auth and adapters are fixed in `__init__` and never changed afterwards,
and redirects are not resolved by the session. The adapter's pool holds `pool_size`
connections, sized to the run's worker count so threads reuse warm TLS connections.

TLS details for Test Connection come from the very connection that answered
(`response.raw.connection.sock.getpeercert()`), read before the body releases it: no second
handshake, and it is the certificate actually trusted for this request.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import json
import logging
import random
import ssl
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import requests.auth
import urllib3.exceptions

from avala_desktop import __version__
from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.inference.base import AssetPayload, InferenceResult, RequestCancelled, TlsInfo
from avala_desktop.inference.http_failures import (
    Endpoint,
    Retryable,
    status_failure,
    transport_failure,
)
from avala_desktop.inference.providers import AuthMode, HttpProviderConfig, is_loopback_host

if TYPE_CHECKING:
    from avala_desktop.core.wire import InferenceRequest

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_CHUNK = 64 * 1024
_SNIPPET_BYTES = 2048
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"https": 443, "http": 80}


class _HeaderAuth(requests.auth.AuthBase):
    """Adds the secret header. Set as the session's auth, which also stops requests from
    applying ~/.netrc credentials over it."""

    def __init__(self, name: str | None, value: str | None) -> None:
        self._name = name
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._name and self._value is not None:
            request.headers[self._name] = self._value
        return request

    def __repr__(self) -> str:
        return f"_HeaderAuth({self._name!r})"


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^(attempt-1))]."""
    return rng.uniform(0.0, min(cap_s, base_s * (2 ** (attempt - 1))))


def _name(parts: Any) -> str:
    return ", ".join(f"{key}={value}" for rdn in parts for key, value in rdn)


def peer_tls_info(response: requests.Response) -> TlsInfo | None:
    """The verified peer certificate of the connection that carried `response`, if TLS."""
    connection = getattr(response.raw, "connection", None)
    sock = getattr(connection, "sock", None)
    if not isinstance(sock, ssl.SSLSocket):
        return None
    cert = sock.getpeercert()
    if not cert:
        return None
    not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(str(cert["notAfter"])), UTC)
    return TlsInfo(
        subject=_name(cert.get("subject", ())),
        issuer=_name(cert.get("issuer", ())),
        not_after=not_after,
    )


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme, 0)


def _endpoint(url: str) -> Endpoint:
    parts = urlsplit(url)
    scheme, host, port = _origin(url)
    shown_host = f"[{host}]" if ":" in host else host
    return Endpoint(host=host, port=port, url=f"{scheme}://{shown_host}:{port}{parts.path or '/'}")


def _gave_up(failure: InferenceFailure, attempts: int) -> InferenceFailure:
    if attempts <= 1:
        return failure
    return InferenceFailure(
        failure.category,
        f"{failure.message} (Gave up after {attempts} attempts.)",
        status=failure.status,
        detail=failure.detail,
    )


class HttpClient:
    """POSTs requests to one custom HTTPS endpoint; see the module docstring for the rules."""

    def __init__(
        self,
        config: HttpProviderConfig,
        secret: str | None = None,
        *,
        pool_size: int = 8,
        cancel: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._endpoint = _endpoint(config.url)
        self._check_transport(config)
        self._secret = secret
        self._check_secret(config, secret)
        self._cancel = cancel
        self._closed = threading.Event()
        self._rng = rng or random.Random()
        self._verify: bool | str = str(config.ca_bundle) if config.ca_bundle else True
        self._session = self._make_session(config, secret, pool_size)

    def __repr__(self) -> str:
        return f"HttpClient({self.config.name!r}, {self._endpoint.url!r})"

    def _check_transport(self, config: HttpProviderConfig) -> None:
        scheme, host, _ = _origin(config.url)
        if scheme == "https":
            return
        if scheme == "http" and is_loopback_host(host) and config.allow_insecure_localhost:
            return
        raise InferenceFailure(
            FailureCategory.CONFIG,
            f"Refusing to send requests to {self._endpoint.url}: only https:// is allowed, and "
            "plain http:// only to this computer (127.0.0.1, localhost) for a provider marked "
            "as a local development server.",
        )

    @staticmethod
    def _check_secret(config: HttpProviderConfig, secret: str | None) -> None:
        if config.auth is AuthMode.NONE:
            return
        if not secret:
            raise InferenceFailure(
                FailureCategory.CONFIG,
                f"Provider {config.name!r} uses {config.auth.value} auth but no token was "
                "given: store one with --token-stdin or point --token-env at a variable.",
            )
        if any(ch in secret for ch in "\r\n\0"):
            raise InferenceFailure(
                FailureCategory.CONFIG,
                f"The token of provider {config.name!r} contains a line break, which cannot be "
                "sent in an HTTP header: store it again without the trailing newline.",
            )

    @staticmethod
    def _make_session(
        config: HttpProviderConfig, secret: str | None, pool_size: int
    ) -> requests.Session:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=2, pool_maxsize=max(1, pool_size), max_retries=0
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        session.headers.update(
            {"User-Agent": f"avala-desktop/{__version__}", "Accept": "application/json"}
        )
        if config.auth is AuthMode.BEARER:
            session.auth = _HeaderAuth("Authorization", f"Bearer {secret}")
        elif config.auth is AuthMode.HEADER:
            session.auth = _HeaderAuth(config.header_name, secret)
        else:
            session.auth = _HeaderAuth(None, None)
        return session

    # -- public API ---------------------------------------------------------------------------

    def infer(self, request: InferenceRequest, asset: AssetPayload) -> InferenceResult:
        """POST the request JSON; the endpoint downloads the asset from its signed URL."""
        if not request.asset_url:
            if not asset.url:
                raise InferenceFailure(
                    FailureCategory.CONFIG,
                    "A custom HTTP endpoint fetches the asset from its signed URL, but none was "
                    "given: start the asset server before sending requests.",
                )
            request = request.model_copy(update={"asset_url": asset.url})
        body = json.dumps(request.to_wire(), separators=(",", ":")).encode("utf-8")
        return self.post(body, content_type="application/json")

    def post(self, body: bytes, *, content_type: str = "application/json") -> InferenceResult:
        """POST `body` with retries; raise InferenceFailure or RequestCancelled."""
        attempt = 0
        while True:
            attempt += 1
            self._raise_if_cancelled()
            try:
                return self._attempt(body, content_type)
            except Retryable as retry:
                if attempt >= self.config.max_attempts:
                    raise _gave_up(retry.failure, attempt) from None
                delay = self._retry_delay(attempt, retry)
                log.info(
                    "provider %s: %s; retry %d of %d in %.2f s",
                    self.config.name,
                    retry.failure.category.value,
                    attempt,
                    self.config.max_attempts - 1,
                    delay,
                )
                self._sleep(delay)

    def close(self) -> None:
        self._closed.set()
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one attempt --------------------------------------------------------------------------

    def _retry_delay(self, attempt: int, retry: Retryable) -> float:
        wait_cap = self.config.max_retry_wait_s
        if retry.retry_after is None:
            return backoff_delay(attempt, self.config.backoff_base_s, wait_cap, self._rng)
        if retry.retry_after > wait_cap:
            failure = retry.failure
            raise InferenceFailure(
                failure.category,
                f"{failure.message} The server asked to wait {retry.retry_after:.0f} s, longer "
                f"than the {wait_cap:g} s this provider allows; try again later.",
                status=failure.status,
                detail=failure.detail,
            ) from None
        return retry.retry_after

    def _attempt(self, body: bytes, content_type: str) -> InferenceResult:
        url = self.config.url
        started = time.monotonic()
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(url, body, content_type)
            try:
                if response.status_code in _REDIRECTS:
                    url = self._redirect_target(url, response)
                    continue
                tls = peer_tls_info(response)
                status = response.status_code
                if 200 <= status < 300:
                    content = self._read_capped(response, status)
                    return InferenceResult(
                        body=content,
                        status=status,
                        latency_s=time.monotonic() - started,
                        tls=tls,
                    )
                snippet = self._snippet(response)
                failure = status_failure(status, self._endpoint, snippet)
                if status in RETRY_STATUSES:
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    raise Retryable(failure, retry_after)
                raise failure
            finally:
                response.close()
        raise InferenceFailure(
            FailureCategory.CLIENT_ERROR,
            f"{self._endpoint.url} redirected more than {MAX_REDIRECTS} times: set the "
            "provider's URL to the final address.",
        )

    def _send(self, url: str, body: bytes, content_type: str) -> requests.Response:
        timeout = self.config.timeout_s
        try:
            return self._session.post(
                url,
                data=body,
                headers={"Content-Type": content_type},
                timeout=(min(timeout, 10.0), timeout),
                stream=True,
                allow_redirects=False,
                verify=self._verify,
            )
        except requests.exceptions.InvalidURL:
            raise InferenceFailure(
                FailureCategory.CONFIG,
                f"{self._endpoint.url} is not a usable URL: correct the provider's URL.",
            ) from None
        except (requests.RequestException, OSError) as exc:
            if isinstance(exc, OSError) and not isinstance(exc, requests.RequestException):
                # requests raises a bare OSError when the CA bundle cannot be read.
                raise InferenceFailure(
                    FailureCategory.CONFIG,
                    f"The CA bundle {self.config.ca_bundle} cannot be read: check the path "
                    "and that it is a PEM file.",
                ) from None
            raise self._classified(exc) from None

    def _classified(self, exc: BaseException) -> InferenceFailure | Retryable:
        return transport_failure(exc, self._endpoint, self.config.timeout_s)

    def _redirect_target(self, url: str, response: requests.Response) -> str:
        location = response.headers.get("Location")
        target = urljoin(url, location) if location else ""
        if response.status_code == 303 or not target or _origin(target) != _origin(url):
            shown = _endpoint(target).url if target else "nowhere"
            raise InferenceFailure(
                FailureCategory.CLIENT_ERROR,
                f"{self._endpoint.url} redirects ({response.status_code}) to {shown}; redirects "
                "to another host or scheme are not followed, so the token and assets stay "
                "with the configured server: set the provider's URL to the final address.",
                status=response.status_code,
            )
        log.debug(
            "provider %s: same-origin redirect to %s", self.config.name, _endpoint(target).url
        )
        return target

    def _read_capped(self, response: requests.Response, status: int) -> bytes:
        cap = self.config.max_response_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(f"it announces {int(declared)} bytes", status)
        deadline = time.monotonic() + self.config.timeout_s
        buffer = bytearray()
        try:
            # iter_content decodes gzip/deflate in bounded steps (urllib3 >= 2.6 limits each
            # decompression call), so counting here stops a decompression bomb at the cap.
            for chunk in response.iter_content(chunk_size=_CHUNK):
                buffer += chunk
                if len(buffer) > cap:
                    raise self._too_large(
                        "more than that arrived, counted after decompression", status
                    )
                if time.monotonic() > deadline:
                    raise InferenceFailure(
                        FailureCategory.TIMEOUT,
                        f"{self._endpoint.where} kept sending the response for more than "
                        f"{self.config.timeout_s:g} s: raise the provider's timeout or check "
                        "the network.",
                    )
        except requests.RequestException as exc:
            raise self._classified(exc) from None
        return bytes(buffer)

    def _too_large(self, why: str, status: int) -> InferenceFailure:
        cap = self.config.max_response_bytes
        return InferenceFailure(
            FailureCategory.TOO_LARGE,
            f"The response of {self._endpoint.where} exceeds the {cap / 1048576:g} MiB limit "
            f"({why}): make the model return fewer or smaller annotations (masks as RLE), or "
            "raise the provider's response limit.",
            status=status,
        )

    def _snippet(self, response: requests.Response) -> str:
        """A short, secret-free excerpt of an error body to help the admin."""
        try:
            raw = response.raw.read(_SNIPPET_BYTES, decode_content=True)
        except (OSError, urllib3.exceptions.HTTPError):
            # An unreadable error body must not hide the status that explains the failure.
            return ""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
        if self._secret:
            # Before truncating: a cut through the token must not leave a prefix of it.
            text = text.replace(self._secret, "[redacted]")
        return " ".join(text.split())[:200]

    def _raise_if_cancelled(self) -> None:
        if self._closed.is_set() or (self._cancel is not None and self._cancel.is_set()):
            raise RequestCancelled("the request was cancelled")

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self._raise_if_cancelled()
            self._closed.wait(min(remaining, 0.05))
        self._raise_if_cancelled()
