"""The seam between auto-label runs and the provider clients (CONTRACTS.md, "Provider clients").

A client turns one `InferenceRequest` plus the asset's bytes into the raw response body. It does
not parse the body: the caller runs `avala_desktop.core.wire.parse_response` on it, so every
provider is validated by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from avala_desktop.core.wire import InferenceRequest


@dataclass(frozen=True)
class TlsInfo:
    """The certificate the server presented on the connection that answered."""

    subject: str
    issuer: str
    not_after: datetime


@dataclass(frozen=True)
class AssetPayload:
    """The asset as the provider may need it: its bytes and, when served, its signed URL."""

    # repr=False: an asset can be megabytes; a log line of it helps nobody.
    data: bytes = field(repr=False)
    content_type: str
    url: str | None = None


@dataclass(frozen=True)
class InferenceResult:
    body: bytes = field(repr=False)
    status: int
    latency_s: float
    tls: TlsInfo | None = None


class RequestCancelled(Exception):
    """The caller cancelled while a request was waiting to be retried.

    Not an `InferenceFailure`: nothing is wrong with the provider, so a run must not record it
    as a failed asset.
    """


@runtime_checkable
class ProviderClient(Protocol):
    def infer(self, request: InferenceRequest, asset: AssetPayload) -> InferenceResult:
        """Send one asset; raise `InferenceFailure` (with its category) for every failure."""

    def close(self) -> None:
        """Release pooled connections; safe to call twice."""
