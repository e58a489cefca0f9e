"""GET /sdk/v1/waypost.js and the files it loads.

Customers' pages load the core by its stable URL, so it is cached briefly (a new release reaches
them within minutes); the same bytes are also served under a name carrying their digest, as are
the per-type modules, and those never change, so browsers keep them for a year. Every file is
read once at start, with its gzip form, and answers CORS requests (modules are imported
cross-origin from the customer's page).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

DIST = Path(__file__).parent / "dist"
CORE = "waypost.js"
SHORT_CACHE = "public, max-age=300"
FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    """One built file, ready to serve."""

    body: bytes
    compressed: bytes
    etag: str


@cache
def assets() -> dict[str, Asset]:
    """Every built file by its path under dist/ (read once)."""
    found: dict[str, Asset] = {}
    for path in sorted(DIST.rglob("*.js")):
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        found[path.relative_to(DIST).as_posix()] = Asset(
            body, gzip.compress(body, 9, mtime=0), f'"{digest[:16]}"'
        )
    return found


def core_digest() -> str:
    """The digest in the core's versioned file name (`waypost.<digest>.js`)."""
    return assets()[CORE].etag.strip('"')[:10]


def manifest() -> dict[str, object]:
    """What the build wrote: the core's and each module's file and gzip size."""
    return json.loads((DIST / "manifest.json").read_text())  # type: ignore[no-any-return]


def _serve(request: Request, asset: Asset, cache_control: str) -> Response:
    headers = {
        "Cache-Control": cache_control,
        "ETag": asset.etag,
        "Access-Control-Allow-Origin": "*",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = asset.compressed
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


def _missing() -> Response:
    return Response("not found", status_code=404, media_type="text/plain")


async def core(request: Request) -> Response:
    """The core by its stable URL (`?key=` is read by the script itself)."""
    return _serve(request, assets()[CORE], SHORT_CACHE)


async def versioned_core(request: Request) -> Response:
    """The core under its digest: immutable."""
    if request.path_params["digest"] != core_digest():
        return _missing()
    return _serve(request, assets()[CORE], FOREVER)


async def module(request: Request) -> Response:
    """A content type's module or a shared chunk (their names carry their digest)."""
    asset = assets().get(f"m/{request.path_params['name']}")
    return _serve(request, asset, FOREVER) if asset else _missing()


routes: list[BaseRoute] = [
    Route("/sdk/v1/waypost.js", core, methods=["GET", "HEAD"]),
    Route("/sdk/v1/waypost.{digest:str}.js", versioned_core, methods=["GET", "HEAD"]),
    Route("/sdk/v1/m/{name:str}", module, methods=["GET", "HEAD"]),
]
