"""A fake Alibaba Cloud SMS API on 127.0.0.1 for the tests: SendSms and QuerySendDetails in the SDK's JSON shape
(RPC style: the action in the `x-acs-action` header and `Action` query, the parameters in the query), recording
what arrived. Started by a test in a thread on a free port; the runner reaches it through
CLOUD_BASKET_SMS_ENDPOINT=`fake.endpoint`.

What SendSms answers is scripted, one behaviour per request, then "ok":
- "ok": Code OK with a BizId;
- "limit": Code isv.BUSINESS_LIMIT_CONTROL (the provider's own flow control);
- "refused": Code isv.MOBILE_NUMBER_ILLEGAL (the request is wrong: trying again will not help);
- "error": HTTP 500 with the API's error body (Code ServiceUnavailable);
- "hold": recorded as sent, then no answer until `release()` (or the server stops): a timeout, or a runner
  killed while it waits (`held` is set when a request is being held).
QuerySendDetails lists what SendSms recorded for the phone on that Shanghai day (SendStatus 3, delivered); a test
whose runner runs on a fixed clock sets `send_day` to that clock's day, under which every arrival is then filed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from db.core.clock import to_local
from tests.support.fake_server import ScriptedServer

BEHAVIOURS = ("ok", "limit", "refused", "error", "hold")


@dataclass
class SmsArrival:
    phone: str
    sign_name: str
    template_code: str
    params: dict[str, Any]
    out_id: str
    biz_id: str
    access_key_id: str
    day: dt.date = field(default_factory=lambda: to_local(dt.datetime.now(dt.UTC)).date())


class FakeSms(ScriptedServer):
    """The server, its script and what arrived; `stop()` (or the `with` block's end) releases and closes."""

    BEHAVIOURS = BEHAVIOURS

    def __init__(self) -> None:
        self.sent: list[SmsArrival] = []
        self.queries: list[dict[str, str]] = []
        self.send_day: dt.date | None = None
        super().__init__(_handler(self), name="fake-sms")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _send_sms(self, query: dict[str, str]) -> tuple[int, dict[str, Any] | None]:
        behaviour = self._next_behaviour()
        if behaviour == "error":
            return 500, {
                "Code": "ServiceUnavailable",
                "Message": "The request has failed due to a temporary failure of the server.",
                "RequestId": "fake",
            }
        if behaviour == "limit":
            return 200, {
                "Code": "isv.BUSINESS_LIMIT_CONTROL",
                "Message": "触发号码天级流控Permits:40",
                "RequestId": "fake",
            }
        if behaviour == "refused":
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "fake"}
        with self._lock:
            biz_id = f"{900000 + len(self.sent)}^0"
            self.sent.append(
                SmsArrival(
                    phone=query.get("PhoneNumbers", ""),
                    sign_name=query.get("SignName", ""),
                    template_code=query.get("TemplateCode", ""),
                    params=json.loads(query.get("TemplateParam") or "{}"),
                    out_id=query.get("OutId", ""),
                    biz_id=biz_id,
                    access_key_id=query.get("_credential", ""),
                    **({"day": self.send_day} if self.send_day else {}),
                )
            )
        if behaviour == "hold":
            self._hold()
            return 0, None  # the connection is dropped without an answer
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "fake"}

    def _query_send_details(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.queries.append(query)
        day = query.get("SendDate", "")
        page, size = int(query.get("CurrentPage", "1")), int(query.get("PageSize", "10"))
        with self._lock:
            found = [
                arrival
                for arrival in self.sent
                if arrival.phone == query.get("PhoneNumber") and f"{arrival.day:%Y%m%d}" == day
            ]
        shown = found[(page - 1) * size : page * size]
        details = [
            {
                "PhoneNum": arrival.phone,
                "SendStatus": 3,
                "ErrCode": "DELIVERED",
                "TemplateCode": arrival.template_code,
                "Content": f"【{arrival.sign_name}】…",
                "SendDate": f"{arrival.day:%Y-%m-%d} 10:00:00",
                "ReceiveDate": f"{arrival.day:%Y-%m-%d} 10:00:03",
                "OutId": arrival.out_id,
            }
            for arrival in shown
        ]
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "fake",
            "TotalCount": len(found),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": details},
        }


def _handler(fake: FakeSms) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            query = dict(parse_qsl(urlsplit(self.path).query)) | dict(parse_qsl(body))
            action = self.headers.get("x-acs-action") or query.get("Action", "")
            # The SDK signs with ACS3-HMAC-SHA256: the access key id is the Authorization header's Credential.
            credential = re.search(r"Credential=([^,]+)", self.headers.get("Authorization", ""))
            query["_credential"] = credential.group(1) if credential else query.get("AccessKeyId", "")
            if action == "SendSms":
                status, answer = fake._send_sms(query)
            elif action == "QuerySendDetails":
                status, answer = fake._query_send_details(query)
            else:
                status, answer = 404, {"Code": "InvalidAction.NotFound", "Message": action, "RequestId": "fake"}
            if answer is None:
                self.close_connection = True
                return
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
