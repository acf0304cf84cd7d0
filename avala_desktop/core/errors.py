"""The failure vocabulary shared by providers, runs, the CLI and the dialogs.

One category per thing an admin or annotator can act on; the message is the sentence that
tells them what to do. Secrets never go into either.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class FailureCategory(StrEnum):
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    THROTTLED = "throttled"
    SERVER_ERROR = "server_error"
    BAD_RESPONSE = "bad_response"
    ASSUME_ROLE_DENIED = "assume_role_denied"
    ENDPOINT_NOT_FOUND = "endpoint_not_found"
    MODEL_ERROR = "model_error"
    TOO_LARGE = "too_large"
    CLIENT_ERROR = "client_error"
    CONFIG = "config"
    ASSET_UNREADABLE = "asset_unreadable"
    MASK_FETCH = "mask_fetch"
    INTERNAL = "internal"


class InferenceFailure(Exception):
    """A failure of one request, with a category and an actionable sentence."""

    def __init__(
        self,
        category: FailureCategory,
        message: str,
        *,
        status: int | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(message)
        self.category = FailureCategory(category)
        self.message = message
        self.status = status
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.category.value}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category.value,
            "message": self.message,
            "status": self.status,
        }
