"""A stdlib HTTP server on 127.0.0.1 in a daemon thread, the base of the tests' local
Overpass and Nominatim endpoints.

A subclass builds its request handler on :class:`QuietHandler` (no log lines, one
:meth:`QuietHandler.send_body` for every answer) and calls :meth:`LocalHttpServer.listen`;
``with server:`` serves until the block ends.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps test output clean and answers with a whole body."""

    def log_message(self, *args):
        pass

    def send_body(self, status: int, raw: bytes, content_type: str) -> None:
        """Answer ``status`` with ``raw`` as the body (Content-Length set)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class LocalHttpServer:
    """Serves a handler on a free port of 127.0.0.1; :attr:`url` is its base address."""

    def listen(self, handler: type[BaseHTTPRequestHandler], path: str = "") -> None:
        """Bind ``handler`` to a free port; :attr:`url` is ``http://127.0.0.1:<port><path>``."""
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
