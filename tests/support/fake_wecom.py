"""A fake WeCom group robot on 127.0.0.1 for the tests: the webhook `POST /cgi-bin/webhook/send?key=…`, recording
what arrived. Started by a test in a thread on a free port; `fake.webhook_url(key)` is what a site's channel stores.

What it answers is scripted, one behaviour per request, then "ok":
- "ok": `{"errcode": 0, "errmsg": "ok"}`;
- "rate_limited": errcode 130101 (more than 20 messages a minute);
- "error": HTTP 500;
- "hold": recorded as arrived, then no answer until `release()` (or the server stops): a timeout, or a runner killed
  while it waits (`held` is set when a request is being held).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.fake_server import ScriptedServer

BEHAVIOURS = ("ok", "rate_limited", "error", "hold")


@dataclass
class RobotArrival:
    key: str
    body: dict[str, Any]

    @property
    def msgtype(self) -> str:
        return str(self.body.get("msgtype"))

    @property
    def content(self) -> str:
        return str(self.body.get(self.msgtype, {}).get("content", ""))

    @property
    def mentioned(self) -> list[str]:
        return list(self.body.get(self.msgtype, {}).get("mentioned_mobile_list", []))


class FakeRobot(ScriptedServer):
    """The server, its script and what arrived; `stop()` (or the `with` block's end) releases and closes."""

    BEHAVIOURS = BEHAVIOURS

    def __init__(self) -> None:
        self.arrived: list[RobotArrival] = []
        self.posts = 0  # every request, answered or not
        super().__init__(_handler(self), name="fake-robot")

    def webhook_url(self, key: str = "robot-key-0001") -> str:
        return f"http://127.0.0.1:{self.port}/cgi-bin/webhook/send?key={key}"

    def _answer(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        behaviour = self._next_behaviour()
        with self._lock:
            self.posts += 1
            if behaviour in ("ok", "hold"):
                self.arrived.append(RobotArrival(key=key, body=body))
        if behaviour == "error":
            return 500, {"errcode": -1, "errmsg": "system error"}
        if behaviour == "rate_limited":
            return 200, {"errcode": 130101, "errmsg": "send too many messages"}
        if behaviour == "hold":
            self._hold()
            return 0, None
        return 200, {"errcode": 0, "errmsg": "ok"}


def _handler(fake: FakeRobot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            answer: dict[str, Any] | None
            if url.path != "/cgi-bin/webhook/send":
                status, answer = 404, {"errcode": 404, "errmsg": "not found"}
            else:
                status, answer = fake._answer(parse_qs(url.query).get("key", [""])[0], body)
            if answer is None:
                self.close_connection = True
                return
            data = json.dumps(answer).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
