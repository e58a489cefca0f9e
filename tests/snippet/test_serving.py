"""GET /sdk/v1/waypost.js and its versioned files: what caches may keep and for how long, gzip,
revalidation, CORS for cross-origin module imports, and the size budgets of what is committed."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from waypost.app import create_app
from waypost.settings import Settings
from waypost.snippet.routes import DIST, core_digest, manifest

KB = 1024


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_the_core_is_served_briefly_cached_and_compressed(client: TestClient) -> None:
    answer = client.get("/sdk/v1/waypost.js?key=wk_anything", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["cache-control"] == "public, max-age=300"
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.content == (DIST / "waypost.js").read_bytes()  # httpx decompressed it
    again = client.get("/sdk/v1/waypost.js", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_the_versioned_core_is_immutable_and_only_under_its_own_digest(
    client: TestClient,
) -> None:
    answer = client.get(f"/sdk/v1/waypost.{core_digest()}.js")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.content == (DIST / "waypost.js").read_bytes()
    assert client.get("/sdk/v1/waypost.0000000000.js").status_code == 404
    assert client.get("/sdk/v1/m/nothing.js").status_code == 404


def test_every_module_is_served_immutable(client: TestClient) -> None:
    modules = manifest()["modules"]
    assert isinstance(modules, dict)
    for entry in modules.values():
        name = entry["file"].removeprefix("m/")
        answer = client.get(f"/sdk/v1/m/{name}")
        assert answer.status_code == 200, name
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_the_committed_files_are_within_their_size_budgets() -> None:
    core = gzip.compress((DIST / "waypost.js").read_bytes(), 9)
    assert len(core) <= 15 * KB
    modules = manifest()["modules"]
    assert isinstance(modules, dict)
    for name, entry in modules.items():
        assert entry["gzip"] <= 10 * KB, name
