"""Downloading the asset named by ``asset_url``: http(s) only, size-capped, time-bounded.

With ``allow_loopback`` off, a URL whose host resolves to a loopback, private, link-local or
otherwise internal address is refused, so a server exposed beyond this machine cannot be made
to read from inside it.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

DEFAULT_MAX_ASSET_BYTES = 512 * 1024 * 1024
CHUNK = 256 * 1024


class FetchError(Exception):
    """The asset could not be downloaded; the message says why (never the URL's query)."""


@dataclass(frozen=True)
class FetchedAsset:
    data: bytes
    content_type: str | None
    filename: str | None


def _internal_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as exc:
        raise FetchError(f"the asset host {host!r} does not resolve: {exc.strerror}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return True
    return False


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _safe_url(url: str) -> str:
    """The URL without its query string (a signed URL's signature must not reach a log)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def fetch_asset(
    url: str,
    *,
    timeout_s: float,
    max_bytes: int = DEFAULT_MAX_ASSET_BYTES,
    allow_loopback: bool = True,
    verify: bool | str = True,
) -> FetchedAsset:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"asset_url must be an http(s) URL with a host, got {_safe_url(url)!r}")
    if not allow_loopback and _internal_host(parts.hostname):
        raise FetchError(
            f"asset_url points at an internal address ({parts.hostname}); this server only "
            "fetches from public hosts (start it with loopback fetching allowed to change that)"
        )
    # A proxy from the environment must never sit between us and a loopback asset server.
    proxies: Any = {"http": None, "https": None} if _is_loopback_name(parts.hostname) else None
    deadline = time.monotonic() + timeout_s
    try:
        with requests.get(
            url,
            stream=True,
            timeout=(min(10.0, timeout_s), timeout_s),
            verify=verify,
            proxies=proxies,
        ) as response:
            if response.status_code != 200:
                raise FetchError(
                    f"downloading the asset from {_safe_url(url)} answered HTTP "
                    f"{response.status_code}; the signed URL may have expired"
                )
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"the asset is {declared} bytes, over the {max_bytes}-byte cap")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"the asset is over the {max_bytes}-byte cap")
                if time.monotonic() > deadline:
                    raise FetchError(f"downloading the asset took more than {timeout_s:g} s")
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type")
    except requests.Timeout as exc:
        raise FetchError(
            f"downloading the asset from {_safe_url(url)} timed out after {timeout_s:g} s"
        ) from exc
    except requests.RequestException as exc:
        raise FetchError(
            f"could not download the asset from {_safe_url(url)}: {type(exc).__name__}"
        ) from exc
    name = parts.path.rsplit("/", 1)[-1] or None
    return FetchedAsset(b"".join(chunks), content_type, name)
