"""A real HTTPS webhook on 127.0.0.1 for the tests, with a certificate from trustme."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import trustme


@dataclass(frozen=True)
class Received:
    """One request the receiver accepted."""

    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    tls_resumed: bool

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class HttpsReceiver:
    """Answers each POST with ``answer(request)`` (200 unless set) and keeps the accepted
    (2xx) requests in ``received``, in order of arrival. ``down()`` closes the listening
    socket (a client sees connection refused); ``up()`` listens again on the same port."""

    def __init__(self, ca: trustme.CA, path: str = "/hook") -> None:
        self.path = path
        self.port = 0
        self.answer: Callable[[Received], int] = lambda _request: 200
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._context)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}{self.path}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = Received(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                    bool(self.request.session_reused),
                )
                status = receiver.answer(request)
                if 200 <= status < 300:
                    with receiver._lock:
                        receiver.received.append(request)
                reply = b'{"ok":true}' if status < 300 else b'{"error":"no"}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = HTTPServer(("127.0.0.1", self.port), Handler)
        server.socket = self._context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def down(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(5)
        self._server = None

    def accepted(self) -> list[Received]:
        """A copy of ``received``, taken while no request is being added."""
        with self._lock:
            return list(self.received)

    def bodies(self) -> list[dict[str, Any]]:
        return [request.json() for request in self.accepted()]
