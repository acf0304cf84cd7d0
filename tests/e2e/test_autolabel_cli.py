"""`avala-desktop auto-label` and `avala-desktop demo` end to end: exit codes, summaries,
resume after cancel, and a real process killed with SIGKILL mid-run then run again."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from avala_desktop.core.store import ProjectStore, RunState
from avala_desktop.inference.providers import (
    AuthMode,
    HttpProviderConfig,
    ProviderRegistry,
)
from avala_desktop.jobs.planning import effective_state
from tests.cli_support import cli
from tests.e2e.autolabel_support import BOX, by_name, http_provider, image_project, suggestions
from tests.servers.autolabel_servers import by_asset, from_asset_bytes
from tests.servers.https_model_server import ModelServer, ok_json, status_response

pytestmark = pytest.mark.e2e

@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer(fetch_assets=True) as running:
        yield running


def add_provider(server: ModelServer, **overrides: object) -> HttpProviderConfig:
    config = http_provider(server, **overrides)
    ProviderRegistry().add(config)
    return config


def test_completed_run_exits_0_with_failures_listed(
    tmp_path: Path, server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    store = image_project(tmp_path / "p", 4)
    broken = by_name(store)["img_0002.png"]
    server.default = by_asset({broken.id: status_response(500, b"boom")}, ok_json([BOX]))
    add_provider(server)

    code, out, err = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model")

    assert code == 0, err
    assert "3 ok, 1 failed, 0 skipped" in out
    assert "kept: 3 suggestions (bounding_box 3)" in out
    assert "failed: server_error 1" in out
    assert "server_error  images/img_0002.png: " in out and "HTTP 500" in out
    assert "failed  images/img_0002.png: server_error" in err  # as it happened, on stderr
    assert "4/4 (ok 3, failed 1, skipped 0)" in err  # plain progress lines off a terminal


def test_json_summary(tmp_path: Path, server: ModelServer, capsys: pytest.CaptureFixture[str]
                      ) -> None:
    image_project(tmp_path / "p", 2)
    server.default = ok_json([BOX, {**BOX, "confidence": 0.1}])
    add_provider(server)
    code, out, _ = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model",
                       "--threshold", "0.2", "--concurrency", "2", "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["state"] == "completed"
    assert (summary["total"], summary["ok"], summary["kept"]) == (2, 2, 2)
    assert summary["discarded"] == {"below_threshold": 2}
    assert summary["threshold"] == 0.2


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("no_project", "not an avala-desktop project"),
        ("no_provider", "no provider named 'missing'"),
        ("no_token", "TEST_MODEL_TOKEN"),
        ("broken_registry", "not a valid provider file"),
        ("bad_asset", "no asset ast_nope"),
    ],
)
def test_exits_2_when_the_run_cannot_start(
    tmp_path: Path, server: ModelServer, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, setup: str, needle: str,
) -> None:
    image_project(tmp_path / "p", 1)
    project, provider, extra = tmp_path / "p", "test-model", []
    monkeypatch.delenv("TEST_MODEL_TOKEN", raising=False)
    if setup == "no_project":
        project = tmp_path / "nowhere"
        add_provider(server)
    elif setup == "no_provider":
        provider = "missing"
    elif setup == "no_token":
        add_provider(server, auth=AuthMode.BEARER, token_env="TEST_MODEL_TOKEN")
    elif setup == "broken_registry":
        ProviderRegistry().path.write_text('{"providers": [{"type": "http"}]}')
    else:
        add_provider(server)
        extra = ["--assets", "ast_nope"]
    code, out, err = cli(capsys, "auto-label", project, "--provider", provider, *extra)
    assert code == 2
    assert needle in err
    assert out == ""
    assert server.requests == []


def test_a_cancelled_run_is_resumed_by_default_and_not_with_no_resume(
    tmp_path: Path, server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    store = image_project(tmp_path / "p", 3)
    server.default = ok_json([BOX])
    config = add_provider(server)
    left = store.create_run(config.id, config.name)  # as a cancelled session leaves it
    store.update_run(left.id, state=RunState.CANCELLED)

    code, _, err = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model")
    assert code == 0
    assert f"Resuming cancelled run {left.id}" in err
    assert [r.id for r in store.runs()] == [left.id]

    code, _, err = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model",
                       "--no-resume", "--scope", "all")
    assert code == 0 and "Resuming" not in err
    assert len(store.runs()) == 2

    third = store.create_run(config.id, config.name, threshold=0.7)
    store.update_run(third.id, state=RunState.CANCELLED)
    code, _, err = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model",
                       "--threshold", "0.4")
    assert code == 0
    assert f"Run {third.id} (threshold 0.7, scope unlabeled) was left cancelled" in err


def test_sigkill_mid_run_then_rerun_equals_an_uninterrupted_run(
    tmp_path: Path, server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    count = 16
    reference = image_project(tmp_path / "reference", count)
    killed = image_project(tmp_path / "killed", count)
    server.default = from_asset_bytes(delay_s=0.3)
    add_provider(server)
    args = ["auto-label", "--provider", "test-model", "--concurrency", "2"]

    code, _, err = cli(capsys, args[0], tmp_path / "reference", *args[1:])
    assert code == 0, err
    expected = suggestions(reference)
    assert len(expected) == 3 * count

    process = subprocess.Popen(
        [sys.executable, "-m", "avala_desktop.cli.main", args[0], str(tmp_path / "killed"),
         *args[1:]],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = killed.runs()
            if runs and len(killed.processed_asset_ids(runs[0].id)) >= 4:
                break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    [run] = killed.runs()
    done_at_kill = killed.processed_asset_ids(run.id)
    assert 4 <= len(done_at_kill) < count
    assert run.state is RunState.RUNNING  # the killed process never got to say otherwise
    assert effective_state(killed, run) is RunState.INTERRUPTED

    asked_before = len(server.requests)
    code, out, err = cli(capsys, args[0], tmp_path / "killed", *args[1:])
    assert code == 0, err
    assert f"Resuming interrupted run {run.id}" in err
    assert f"{count} of {count} done: {count} ok" in out

    assert suggestions(killed) == expected  # same suggestions, none twice, none missing
    assert len(set(suggestions(killed))) == len(expected)
    assert [r.id for r in killed.runs()] == [run.id]
    assert killed.get_run(run.id).state is RunState.COMPLETED  # type: ignore[union-attr]
    # The rerun asked only for what the killed process had not committed.
    assert len(server.requests) - asked_before == count - len(done_at_kill)


def test_demo_headless_labels_the_demo_project_and_prints_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = tmp_path / "demo"
    argv = ["demo", "--headless", "--dir", demo, "--images", "1", "--video-frames", "0",
            "--cloud-points", "20000"]
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    assert "Creating the demo project" in out
    assert "2 of 2 done: 2 ok, 0 failed" in out
    kept_line = next(line for line in out.splitlines() if line.strip().startswith("kept:"))
    for kind in ("bounding_box_3d", "polygon", "segmentation_mask", "classification"):
        assert kind in kept_line
    provider = ProviderRegistry().get("reference-demo")
    assert provider.url.startswith("http://127.0.0.1:")
    with ProjectStore.open(demo) as store:
        assert store.status_summary()["annotations"]["by_origin"]["model"] > 0

    code, out, _ = cli(capsys, *argv)  # reused: nothing left unlabeled, same provider id
    assert code == 0
    assert "Reusing the demo project" in out and "nothing to label" in out
    assert ProviderRegistry().get("reference-demo").id == provider.id


def test_demo_without_a_display_says_where_the_project_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    argv = ["demo", "--dir", tmp_path / "demo", "--images", "1", "--video-frames", "0",
            "--cloud-points", "0"]
    code, out, _ = cli(capsys, *argv)
    assert code == 0
    assert f"Demo project: {tmp_path / 'demo'}" in out
    assert os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_assets_can_be_served_under_another_name_and_a_busy_port_is_refused(
    tmp_path: Path, server: ModelServer, capsys: pytest.CaptureFixture[str]
) -> None:
    image_project(tmp_path / "p", 2)
    server.default = ok_json([BOX])
    add_provider(server)
    code, _, err = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model",
                       "--advertise-host", "localhost")
    assert code == 0, err
    urls = [r.json["asset_url"] for r in server.requests]
    assert len(urls) == 2 and all(u.startswith("http://localhost:") for u in urls)
    assert all(r.asset_bytes for r in server.requests)  # reachable under that name

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        code, out, err = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model",
                             "--scope", "all", "--asset-port", str(busy.getsockname()[1]))
    assert code == 2 and out == ""
    assert "cannot serve the assets to the model on 127.0.0.1" in err
    code, _, err = cli(capsys, "auto-label", tmp_path / "p", "--provider", "test-model",
                       "--asset-tls-cert", tmp_path / "c.pem")
    assert code == 2 and "go together" in err
    assert len(server.requests) == 2
