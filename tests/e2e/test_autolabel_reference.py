"""Auto-label the demo scene through the bundled reference model server over HTTPS (trustme
certificates, the provider trusting the test CA): every prediction type arrives and is stored
as a pending suggestion with its origin."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from avala_desktop.core import demo_data
from avala_desktop.core.discovery import discover_assets
from avala_desktop.core.store import Origin, ProjectStore, ReviewState
from avala_desktop.inference.providers import HttpProviderConfig
from avala_desktop.inference.reference_server import ReferenceModelServer
from avala_desktop.jobs.autolabel import run_auto_label
from tests.e2e.autolabel_support import Events

pytestmark = pytest.mark.e2e

IMAGE_TYPES = {"bounding_box", "polygon", "segmentation_mask", "polyline", "classification"}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(folder / "cert.pem"), append=True)
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    return folder / "ca.pem", folder / "cert.pem", folder / "key.pem"


@pytest.fixture(scope="module")
def reference(tls: tuple[Path, Path, Path]) -> Iterator[ReferenceModelServer]:
    _, cert, key = tls
    with ReferenceModelServer(port=0, tls_cert=cert, tls_key=key, fetch_timeout_s=20) as server:
        yield server


@pytest.fixture
def demo_project(tmp_path: Path) -> ProjectStore:
    assets = tmp_path / "demo" / "assets"
    demo_data.write_demo_images(assets, count=2)
    demo_data.write_demo_point_cloud(assets / "scan_00.pcd", n_points=20_000)
    demo_data.write_demo_video(assets / "walk.mp4", frames=10)
    store = ProjectStore.create(tmp_path / "demo", labels=list(demo_data.DEMO_LABELS))
    store.add_assets(discover_assets(assets).assets)
    return store


def test_reference_server_over_https_yields_every_type_with_its_origin(
    demo_project: ProjectStore, reference: ReferenceModelServer, tls: tuple[Path, Path, Path]
) -> None:
    store = demo_project
    assert reference.url.startswith("https://")
    provider = HttpProviderConfig(
        name="reference", url=f"{reference.url}/predict", ca_bundle=tls[0], timeout_s=60
    )
    events = Events()

    summary = run_auto_label(store, provider, threshold=0.3, concurrency=2, on_event=events)

    assert summary.state == "completed"
    assert (summary.total, summary.ok, summary.failed) == (4, 4, 0)
    by_type: dict[str, Counter[str]] = {}
    for asset in store.assets():
        records = store.annotations(asset.id)
        by_type[asset.type] = by_type.get(asset.type, Counter()) + Counter(r.type for r in records)
        for record in records:
            assert record.origin is Origin.MODEL
            assert record.state is ReviewState.PENDING
            assert record.provider_id == provider.id
            assert record.run_id == summary.run_id
            assert record.confidence is not None and 0.3 <= record.confidence <= 1.0
            assert record.label in demo_data.DEMO_LABELS
    assert set(by_type["image"]) == IMAGE_TYPES
    assert set(by_type["video_frame"]) <= IMAGE_TYPES and by_type["video_frame"]
    assert set(by_type["point_cloud"]) == {"bounding_box_3d"}
    assert sum(summary.kept_by_type.values()) == summary.kept
    assert set(summary.kept_by_type) == IMAGE_TYPES | {"bounding_box_3d"}
    # 3D boxes are stored in canonical form: a unit quaternion, metric dimensions.
    cloud = next(a for a in store.assets() if a.type == "point_cloud")
    for record in store.annotations(cloud.id):
        rotation = record.geometry["rotation"]
        assert abs(sum(rotation[k] ** 2 for k in "wxyz") - 1.0) < 1e-6
        assert set(record.geometry["dimensions"]) == {"l", "w", "h"}
    # Events arrived on the calling thread, in order: started first, finished last.
    assert type(events.events[0]).__name__ == "RunStarted"
    assert type(events.events[-1]).__name__ == "RunFinished"
    assert events.started.total == 4
