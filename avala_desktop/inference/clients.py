"""Build the right `ProviderClient` for a provider configuration."""

from __future__ import annotations

import threading

from avala_desktop.inference.base import ProviderClient
from avala_desktop.inference.providers import HttpProviderConfig, SageMakerProviderConfig
from avala_desktop.inference.secrets import resolve_secret


def make_client(
    config: HttpProviderConfig | SageMakerProviderConfig,
    *,
    secret: str | None = None,
    pool_size: int = 8,
    cancel: threading.Event | None = None,
) -> ProviderClient:
    """A client for `config`. For an HTTP provider with auth, `secret` defaults to the one in
    the keyring or the configured environment variable (raises InferenceFailure(CONFIG) when
    neither has it). `pool_size` should match the number of worker threads that share it."""
    if isinstance(config, HttpProviderConfig):
        from avala_desktop.inference.http_client import HttpClient

        if secret is None:
            secret = resolve_secret(config)
        return HttpClient(config, secret, pool_size=pool_size, cancel=cancel)
    # Imported lazily: boto3 costs a noticeable start-up time nobody on HTTP needs to pay.
    from avala_desktop.inference.sagemaker_client import SageMakerClient

    return SageMakerClient(config)
