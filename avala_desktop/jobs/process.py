"""One asset of a run, on a worker thread: its bytes, the request, the answer, the triage.

`AssetProcessor` also owns what the workers share for the length of a run: the signed-URL
asset server (serving the bytes the workers hold, see inflight.py) and the mask fetcher.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from avala_desktop.core.errors import FailureCategory, InferenceFailure
from avala_desktop.core.store import Asset, ProjectStore
from avala_desktop.core.wire import DEFAULT_MAX_BYTES
from avala_desktop.inference.asset_server import AssetServer
from avala_desktop.inference.base import AssetPayload, ProviderClient, RequestCancelled
from avala_desktop.inference.providers import HttpProviderConfig, SageMakerProviderConfig
from avala_desktop.jobs.inflight import InflightAssets, build_request
from avala_desktop.jobs.mask_fetch import MaskFetcher
from avala_desktop.jobs.planning import RunError
from avala_desktop.jobs.triage import triage_response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one asset, ready to commit (or, if `cancelled`, to drop)."""

    annotations: list[dict[str, Any]] = field(default_factory=list)
    discarded: dict[str, int] = field(default_factory=dict)
    message: str | None = None
    failure: InferenceFailure | None = None
    cancelled: bool = False  # abandoned: not committed, a resume does it
    removed: bool = False  # the asset left the project while the run was on


@dataclass(frozen=True)
class AssetServing:
    """Where a run serves its assets to the model. The default suits a model server on this
    machine; one elsewhere needs an address it can reach (`host`, or "0.0.0.0" and the
    machine's name as `advertised_host`), preferably over TLS (`tls_cert`, `tls_key`)."""

    host: str = "127.0.0.1"
    port: int = 0
    advertised_host: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None


class AssetProcessor:
    """Turns an asset into an `Outcome`; thread-safe. `start()` before, `stop()` after.

    `labels` and `threshold` are set by the run once it knows them (a resumed run brings its
    own threshold)."""

    def __init__(
        self,
        store: ProjectStore,
        config: HttpProviderConfig | SageMakerProviderConfig,
        *,
        cancel: threading.Event,
        pool_size: int,
        asset_server: AssetServer | None = None,
        serving: AssetServing | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.cancel = cancel
        self.labels: list[str] = []
        self.threshold = 0.5
        self._pool_size = pool_size
        self._inflight = InflightAssets(store)
        self._given_server = asset_server
        self._serving = serving or AssetServing()
        self._server: AssetServer | None = None
        self._masks: MaskFetcher | None = None

    def start(self) -> None:
        """Start the asset server (unless one was given); RunError if it cannot listen."""
        if self._given_server is None:
            serving = self._serving
            try:
                self._server = AssetServer(
                    self._inflight.resolve,
                    host=serving.host,
                    port=serving.port,
                    advertised_host=serving.advertised_host,
                    tls_cert=serving.tls_cert,
                    tls_key=serving.tls_key,
                ).start()
            except (OSError, ValueError) as exc:
                # ssl.SSLError is an OSError: an unreadable certificate or key lands here too.
                raise RunError(
                    f"cannot serve the assets to the model on {serving.host}:{serving.port} "
                    f"({getattr(exc, 'strerror', None) or exc}); check the address, port, "
                    "certificate and key"
                ) from None
        http = self.config if isinstance(self.config, HttpProviderConfig) else None
        self._masks = MaskFetcher(
            ca_bundle=http.ca_bundle if http else None,
            ca_bundle_origin=http.url if http else None,
            pool_size=self._pool_size,
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._masks is not None:
            self._masks.close()
            self._masks = None

    def process(self, asset_id: str, asset: Asset | None, client: ProviderClient) -> Outcome:
        """One asset from bytes to triaged suggestions; never raises."""
        try:
            if self.cancel.is_set():
                return Outcome(cancelled=True)
            if asset is None:
                return Outcome(removed=True)
            return self._infer(asset, client)
        except RequestCancelled:
            return Outcome(cancelled=True)
        except InferenceFailure as failure:
            return Outcome(failure=failure)
        except Exception as exc:
            # A bug must not stop the run or vanish: the asset fails as `internal`, with the
            # traceback in the log.
            log.exception("auto-label: unexpected error on asset %s", asset_id)
            return Outcome(
                failure=InferenceFailure(
                    FailureCategory.INTERNAL,
                    f"An unexpected error stopped this asset ({type(exc).__name__}: {exc}). "
                    "This is a bug in avala-desktop; please report it with the log.",
                )
            )

    def _infer(self, asset: Asset, client: ProviderClient) -> Outcome:
        server = self._server or self._given_server
        if server is None or self._masks is None:
            raise RuntimeError("AssetProcessor.start() was not called")
        with self._inflight.hold(asset) as (data, content_type):
            url = server.url_for(asset.id)
            request = build_request(self.store, asset, data, url, self.labels)
            result = client.infer(request, AssetPayload(data, content_type, url))
        max_bytes = (
            self.config.max_response_bytes
            if isinstance(self.config, HttpProviderConfig)
            else DEFAULT_MAX_BYTES
        )
        triage = triage_response(
            result.body,
            labels=self.labels,
            threshold=self.threshold,
            width=request.width,
            height=request.height,
            masks=self._masks,
            max_bytes=max_bytes,
        )
        return Outcome(
            annotations=triage.kept, discarded=dict(triage.discarded), message=triage.message()
        )
