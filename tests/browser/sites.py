"""Fixture sites for the snippet's browser tests: static pages served from tests/browser/sites/ on
their own local port (so the snippet runs cross-origin, as on a customer's site), with the
Waypost server's URL and the app's write key written into them, and optional response headers
per page (a strict Content-Security-Policy)."""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SITES = Path(__file__).with_name("sites")


@contextmanager
def serve_sites(
    replacements: Mapping[str, str], headers: Mapping[str, Mapping[str, str]] | None = None
) -> Iterator[str]:
    """Serve the sites on 127.0.0.1 until the block ends; yields the base URL. Text files have
    each key of `replacements` replaced by its value; `headers` adds headers by path."""
    extra = headers or {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            file = (SITES / path.lstrip("/")).resolve()
            if SITES not in file.parents or not file.is_file():
                self.send_error(404)
                return
            body = file.read_bytes()
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                text = body.decode()
                for old, new in replacements.items():
                    text = text.replace(old, new)
                body = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in extra.get(path, {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
