"""A witness on 127.0.0.1 for the tests: records what is POSTed to it and serves a saved copy on GET.

Not a test module. ``status`` makes it answer every POST with that code (a
witness that refuses); ``serve`` sets the body a GET returns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Witness:
    url: str = ""
    received: list[bytes] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    status: int = 200
    body: bytes = b""


@contextmanager
def witness() -> Iterator[Witness]:
    state = Witness()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.received.append(self.rfile.read(length))
            state.content_types.append(self.headers.get("Content-Type") or "")
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self.send_response(200 if state.body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (a port just released)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/witness"
