"""Fetching `mask_url` masks from loopback servers: what is accepted, and every refusal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from avala_desktop.core.masks import decode
from avala_desktop.jobs.mask_fetch import MaskFetcher, MaskFetchError
from tests.servers.autolabel_servers import png_bomb, png_mask, png_response
from tests.servers.https_model_server import (
    ModelServer,
    ServerCerts,
    gzip_bomb,
    redirect,
    slow,
    status_response,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(certs: ServerCerts) -> Iterator[ModelServer]:
    with ModelServer(tls=certs.context()) as running:
        running.route("/ok.png", png_response(png_mask(8, 10)))
        running.route("/bomb.png", png_response(png_bomb()))
        running.route("/gzip", gzip_bomb(32 * 1024 * 1024))
        running.route("/missing.png", status_response(404))
        running.route("/slow.png", slow(5, png_response(png_mask(8, 10))))
        running.route("/text", status_response(200, b"not a png"))
        yield running


@pytest.fixture
def fetcher(server: ModelServer, certs: ServerCerts) -> Iterator[MaskFetcher]:
    masks = MaskFetcher(ca_bundle=certs.ca_pem, ca_bundle_origin=server.url("/predict"),
                        timeout_s=1, max_bytes=1024 * 1024)
    yield masks
    masks.close()


def test_a_png_mask_becomes_canonical_rle(fetcher: MaskFetcher, server: ModelServer) -> None:
    rle = fetcher.fetch_rle(server.url("/ok.png"), (8, 10))
    assert rle["size"] == [8, 10] and isinstance(rle["counts"], str)
    mask = decode(rle)
    assert int(mask.sum()) == 30 and mask[2:7, 2:8].all()  # the 6x5 box at (2, 2)


def test_same_scheme_redirects_are_followed(fetcher: MaskFetcher, server: ModelServer) -> None:
    server.route("/hop", redirect(server.url("/ok.png"), code=302))
    assert fetcher.fetch_rle(server.url("/hop"), (8, 10))["size"] == [8, 10]


@pytest.mark.parametrize(
    ("path", "size", "why"),
    [
        ("/bomb.png", None, "100,000,000 pixels"),
        ("/ok.png", (9, 10), "the image it belongs to is 10x9"),
        ("/gzip", None, "larger than 1 MiB (counted after decompression)"),
        ("/missing.png", None, "answered HTTP 404"),
        ("/slow.png", None, "did not arrive within 1 s"),
        ("/text", None, "not a PNG image"),
    ],
)
def test_unusable_masks_are_refused_with_the_reason(
    fetcher: MaskFetcher, server: ModelServer, path: str, size: tuple[int, int] | None, why: str
) -> None:
    with pytest.raises(MaskFetchError, match=why.replace("(", r"\(").replace(")", r"\)")):
        fetcher.fetch_rle(server.url(path) + "?sig=hidden", size)


def test_refusals_never_show_the_query_string(fetcher: MaskFetcher, server: ModelServer) -> None:
    with pytest.raises(MaskFetchError) as caught:
        fetcher.fetch_rle(server.url("/missing.png") + "?sig=s3cret", None)
    assert "s3cret" not in str(caught.value)


def test_redirects_may_not_change_scheme_or_go_on_forever(
    fetcher: MaskFetcher, server: ModelServer
) -> None:
    server.route("/downgrade", redirect("http://127.0.0.1:1/ok.png"))
    with pytest.raises(MaskFetchError, match="another scheme"):
        fetcher.fetch_rle(server.url("/downgrade"), None)
    server.route("/loop", redirect(server.url("/loop")))
    with pytest.raises(MaskFetchError, match="redirected more than 3 times"):
        fetcher.fetch_rle(server.url("/loop"), None)


def test_the_providers_ca_is_trusted_only_on_the_providers_host(
    server: ModelServer, certs: ServerCerts
) -> None:
    elsewhere = MaskFetcher(ca_bundle=certs.ca_pem, ca_bundle_origin="https://models.example/p",
                            timeout_s=2)
    try:
        with pytest.raises(MaskFetchError, match="could not be downloaded"):
            elsewhere.fetch_rle(server.url("/ok.png"), None)
    finally:
        elsewhere.close()


def test_only_http_urls_are_fetched(fetcher: MaskFetcher) -> None:
    with pytest.raises(MaskFetchError, match="http"):
        fetcher.fetch_rle("file:///etc/passwd", None)
