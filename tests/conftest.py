"""Test-wide isolation (offscreen Qt, a private AVALA_DESKTOP_HOME, no network but loopback) and
the fixtures many modules share: `certs`, `server` (HTTPS model server), `ring` (keyring),
`moto` and `runtime` (AWS stand-ins for the SageMaker tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.servers.https_model_server import ModelServer, ServerCerts
from tests.servers.memory_keyring import MemoryKeyring, memory_keyring

if TYPE_CHECKING:
    from tests.servers.moto_server import MotoServer
    from tests.servers.sagemaker_runtime_server import SageMakerRuntimeServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A proxy set in the environment must never capture loopback traffic of the tests.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"


@pytest.fixture(autouse=True)
def avala_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own per-user config/data directory."""
    home = tmp_path_factory.mktemp("avala-home")
    monkeypatch.setenv("AVALA_DESKTOP_HOME", str(home))
    yield home


# -- shared servers and stand-ins (a module may define its own fixture of the same name) ------


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> ServerCerts:
    """A trustme CA for the scripted HTTPS model servers; `certs.ca_pem` is its bundle."""
    return ServerCerts.create(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def server(certs: ServerCerts) -> Iterator[ModelServer]:
    """The scripted model server over HTTPS on 127.0.0.1, fetching each request's asset_url."""
    with ModelServer(tls=certs.context(), fetch_assets=True) as running:
        yield running


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    """An in-memory OS keyring, installed for the test."""
    with memory_keyring() as backend:
        yield backend


# AWS stand-ins, imported when first used: moto is slow to import and most tests never need it.


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """moto's server mode for IAM and STS; a user starts from `moto.reset()`."""
    from tests.servers.moto_server import running_moto_server

    with running_moto_server() as running:
        yield running


@pytest.fixture(scope="module")
def runtime_server() -> Iterator[SageMakerRuntimeServer]:
    from tests.servers.sagemaker_runtime_server import running_runtime_server

    with running_runtime_server() as running:
        yield running


@pytest.fixture
def runtime(runtime_server: SageMakerRuntimeServer) -> SageMakerRuntimeServer:
    """The loopback SageMaker runtime, with no queued answers and no recorded requests."""
    runtime_server.reset()
    return runtime_server
