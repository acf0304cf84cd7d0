"""Pure parts of the HTTPS client: Retry-After, backoff, failure classification, refusals."""

from __future__ import annotations

import random
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests
import urllib3.connection
import urllib3.exceptions

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.inference.http_client import HttpClient, backoff_delay, parse_retry_after
from avala_desktop.inference.http_failures import (
    Endpoint,
    Retryable,
    status_failure,
    transport_failure,
)
from avala_desktop.inference.providers import HttpProviderConfig

ENDPOINT = Endpoint("models.example", 443, "https://models.example:443/predict")


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now=now) == 7.0
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=42), usegmt=True), now=now) == 42
    )
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None and parse_retry_after("") is None


def test_backoff_is_full_jitter_bounded_by_cap() -> None:
    rng = random.Random(7)
    for attempt in range(1, 8):
        delays = [backoff_delay(attempt, 0.5, 4.0, rng) for _ in range(200)]
        ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
        assert all(0 <= d <= ceiling for d in delays)
        # Full jitter spreads over the whole range, not around the ceiling.
        assert min(delays) < ceiling * 0.1 and max(delays) > ceiling * 0.9


def test_name_resolution_failure_is_dns_and_not_retried() -> None:
    conn = urllib3.connection.HTTPSConnection("models.example", 443)
    cause = urllib3.exceptions.NameResolutionError(
        "models.example", conn, socket.gaierror(-2, "Name or service not known")
    )
    wrapped = requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/predict", cause)  # type: ignore[arg-type]
    )
    failure = transport_failure(wrapped, ENDPOINT, 30)
    assert isinstance(failure, InferenceFailure)
    assert failure.category is FailureCategory.DNS
    assert "models.example could not be resolved" in failure.message


def test_connect_timeout_is_retried_read_timeout_is_not() -> None:
    connect = transport_failure(requests.exceptions.ConnectTimeout("x"), ENDPOINT, 5)
    assert isinstance(connect, Retryable)
    assert connect.failure.category is FailureCategory.CONNECT
    read = transport_failure(requests.exceptions.ReadTimeout("x"), ENDPOINT, 5)
    assert isinstance(read, InferenceFailure) and read.category is FailureCategory.TIMEOUT
    assert "within 5 s" in read.message


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (401, FailureCategory.AUTH),
        (403, FailureCategory.AUTH),
        (404, FailureCategory.NOT_FOUND),
        (422, FailureCategory.CLIENT_ERROR),
        (429, FailureCategory.THROTTLED),
        (500, FailureCategory.SERVER_ERROR),
        (503, FailureCategory.SERVER_ERROR),
        (302, FailureCategory.BAD_RESPONSE),
    ],
)
def test_status_categories(status: int, category: FailureCategory) -> None:
    failure = status_failure(status, ENDPOINT, "")
    assert failure.category is category and failure.status == status
    assert failure.message.endswith((".", '"'))


def test_client_refuses_plain_http_even_if_validation_was_bypassed() -> None:
    # model_construct skips the validators, as a hand-edited object might.
    config = HttpProviderConfig.model_construct(
        **{
            **HttpProviderConfig(name="m", url="https://a.example").model_dump(),
            "url": "http://a.example/p",
        }
    )
    with pytest.raises(InferenceFailure) as info:
        HttpClient(config)
    assert info.value.category is FailureCategory.CONFIG
    assert "only https:// is allowed" in info.value.message
