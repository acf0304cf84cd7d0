"""Resolving a segmentation mask given as `mask_url` into canonical COCO RLE.

The URL comes from a model's response, so it is untrusted: http(s) only, no credentials sent
(the provider's token never leaves for a URL the admin did not configure), at most a few
same-scheme redirects, a time limit for the whole download, a byte cap counted after any
Content-Encoding is undone (a gzip bomb stops at the cap), and a pixel-count limit read from
the PNG header before anything is decompressed (a PNG bomb is refused unopened).
"""

from __future__ import annotations

import http.cookiejar
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters

from avala_desktop import __version__
from avala_desktop.core.masks import DEFAULT_MAX_PIXELS, MaskCodecError, decode_png_mask, encode

DEFAULT_TIMEOUT_S = 15.0
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class MaskFetchError(Exception):
    """The mask could not be used; the message says why (without the URL's query string)."""


def _shown(url: str) -> str:
    # A signed mask URL's signature is a secret of the model server: keep it out of messages.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


class MaskFetcher:
    """Downloads PNG masks for one run; shared by its worker threads (see http_client.py for
    why one requests.Session is safe to share this way)."""

    def __init__(
        self,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        ca_bundle: Path | None = None,
        ca_bundle_origin: str | None = None,
        pool_size: int = 4,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        # The provider's private CA is trusted for masks on the provider's own host only;
        # anywhere else the usual certificate store applies.
        self._ca_bundle = str(ca_bundle) if ca_bundle else None
        self._ca_host = _origin(ca_bundle_origin)[1] if ca_bundle_origin else None
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(1, pool_size), max_retries=0)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._session.headers.update({"User-Agent": f"avala-desktop/{__version__}"})
        # trust_env off: no ~/.netrc credentials for a URL a model made up. The environment's
        # proxies still apply, per URL, honouring NO_PROXY.
        self._session.trust_env = False
        self._closed = threading.Event()

    def close(self) -> None:
        self._closed.set()
        self._session.close()

    def fetch_rle(self, url: str, expected_size: tuple[int, int] | None) -> dict[str, Any]:
        """The mask at `url` as `{"size": [h, w], "counts": str}`; `expected_size` is the
        image's (height, width). Raises MaskFetchError."""
        data = self._download(url)
        try:
            mask = decode_png_mask(data, max_pixels=self.max_pixels, expected_size=expected_size)
        except MaskCodecError as exc:
            raise MaskFetchError(f"the mask at {_shown(url)} cannot be used: {exc}") from None
        return encode(mask)

    def _verify(self, url: str) -> bool | str:
        if self._ca_bundle and self._ca_host and _origin(url)[1] == self._ca_host:
            return self._ca_bundle
        return True

    def _download(self, url: str) -> bytes:
        deadline = time.monotonic() + self.timeout_s
        for _hop in range(MAX_REDIRECTS + 1):
            scheme, host, _ = _origin(url)
            if scheme not in ("http", "https") or not host:
                raise MaskFetchError(f"mask_url must be an http(s) URL, got {_shown(url)}")
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed.is_set():
                raise self._timed_out(url)
            try:
                response = self._session.get(
                    url,
                    timeout=(min(remaining, 10.0), remaining),
                    stream=True,
                    allow_redirects=False,
                    verify=self._verify(url),
                    proxies=requests.utils.get_environ_proxies(url),
                )
            except requests.Timeout:
                raise self._timed_out(url) from None
            except (requests.RequestException, OSError) as exc:
                raise MaskFetchError(
                    f"the mask at {_shown(url)} could not be downloaded "
                    f"({type(exc).__name__}: {_first_line(exc)})"
                ) from None
            with response:
                if response.is_redirect:
                    target = requests.compat.urljoin(url, response.headers.get("Location", ""))
                    if urlsplit(target).scheme.lower() != scheme:
                        raise MaskFetchError(
                            f"the mask at {_shown(url)} redirects to another scheme "
                            f"({_shown(target)}); redirects may not leave {scheme}"
                        )
                    url = target
                    continue
                if response.status_code != 200:
                    raise MaskFetchError(
                        f"the mask at {_shown(url)} answered HTTP {response.status_code}"
                    )
                return self._read_capped(response, url, deadline)
        raise MaskFetchError(
            f"the mask at {_shown(url)} redirected more than {MAX_REDIRECTS} times"
        )

    def _read_capped(self, response: requests.Response, url: str, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url)
        buffer = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=_CHUNK):
                buffer += chunk
                if len(buffer) > self.max_bytes:
                    raise self._too_large(url)
                if time.monotonic() > deadline:
                    raise self._timed_out(url)
        except requests.Timeout:
            raise self._timed_out(url) from None
        except (requests.RequestException, OSError) as exc:
            raise MaskFetchError(
                f"the download of the mask at {_shown(url)} broke off "
                f"({type(exc).__name__}: {_first_line(exc)})"
            ) from None
        return bytes(buffer)

    def _too_large(self, url: str) -> MaskFetchError:
        return MaskFetchError(
            f"the mask at {_shown(url)} is larger than {self.max_bytes / 1048576:g} MiB "
            "(counted after decompression); a PNG mask is far smaller"
        )

    def _timed_out(self, url: str) -> MaskFetchError:
        return MaskFetchError(
            f"the mask at {_shown(url)} did not arrive within {self.timeout_s:g} s"
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text[:160]
