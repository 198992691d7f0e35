"""What the tests' fake providers share (tests/support/fake_wecom.py, tests/support/fake_sms.py): an HTTP server on a
free port of 127.0.0.1 in a thread, a script of how to answer the next requests, and a request held unanswered until
`release()` (a timeout, or a runner killed while it waits)."""

from __future__ import annotations

import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class ScriptedServer:
    """The server and its script; `stop()` (or the `with` block's end) releases what is held and closes."""

    # The behaviours `answer_next` accepts; the first is what a request gets once the script is used up.
    BEHAVIOURS: tuple[str, ...] = ("ok",)

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
        self.held = threading.Event()
        self._release = threading.Event()
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name=name, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def answer_next(self, *behaviours: str) -> None:
        assert set(behaviours) <= set(self.BEHAVIOURS), behaviours
        with self._lock:
            self._script.extend(behaviours)

    def release(self) -> None:
        self._release.set()

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_behaviour(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else self.BEHAVIOURS[0]

    def _hold(self) -> None:
        """Leave the request unanswered until `release()` or `stop()` (at most a minute)."""
        self.held.set()
        self._release.wait(timeout=60)
