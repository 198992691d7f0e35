"""SMS through a provider: the provider holds the approved template under a code, the app sends the template code,
the site's signature and the values of its variables, with an id of its own (the message's request id) that the
provider keeps, so a message whose fate is unknown (a runner killed mid-send, a timeout) can be asked about later.

A provider is a class with `send` and `find_sent` (`SmsProvider`), registered by name in `SMS_PROVIDERS`; the first
is Alibaba Cloud SMS (`AliyunSms`, its SDK alibabacloud-dysmsapi20170525). Another provider is one more class and
one more entry there; the site's channel settings name which one (`provider`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from cli.senders import FAILED, RATE_LIMITED, SENT, UNKNOWN, Delivery, short_answer

# Where the Alibaba Cloud SMS API is: its host (HTTPS), or a URL with its scheme (the tests' fake: http://127.0.0.1:N).
ENDPOINT_VARIABLE = "CLOUD_BASKET_SMS_ENDPOINT"
ALIYUN_ENDPOINT = "dysmsapi.aliyuncs.com"
# Alibaba Cloud's rule for a template variable: at most 35 characters each.
VALUE_CHARS = 35
# Milliseconds, as the SDK takes them: connecting 5 s, the answer 10 s.
CONNECT_TIMEOUT_MS = 5000
READ_TIMEOUT_MS = 10000
# Codes of SendSms answered with HTTP 200 that are worth another try later; the provider's flow control is a limit.
ALIYUN_LIMIT_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling.User"})
ALIYUN_TRY_AGAIN_CODES = frozenset({"isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY", "SignatureNonceUsed"})
# QuerySendDetails' SendStatus: 1 waiting for the handset's receipt, 2 failed, 3 delivered.
ALIYUN_SEND_FAILED = 2
QUERY_PAGE_SIZE = 50
_QUERY = re.compile(r"\?[^\s'\"()]*")


class ProviderUnreachable(Exception):
    """The provider could not be asked (a timeout, an error page): the question waits for the next run."""


class SmsProvider(Protocol):
    def send(
        self, *, phone: str, sign_name: str, template_code: str, values: Mapping[str, str], request_id: str
    ) -> Delivery:
        """Send one SMS; UNKNOWN when the request went out and no answer came (settle it later with find_sent)."""
        ...

    def find_sent(self, *, phone: str, request_id: str, sent_on: dt.date) -> Delivery | None:
        """What the provider did with the message sent to `phone` with `request_id` on that Shanghai day: SENT or
        FAILED, or None when it never got it. Raises ProviderUnreachable when it cannot be asked."""
        ...


def template_values(values: Mapping[str, Any]) -> dict[str, str]:
    """A template's variables as the provider takes them: text, each cut to VALUE_CHARS characters."""
    return {name: _cut(str(value)) for name, value in values.items()}


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


class AliyunSms:
    """Alibaba Cloud SMS (dysmsapi 2017-05-25) through its own SDK, one request per call, never retried by the SDK."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        endpoint: str | None = None,
        read_timeout_ms: int = READ_TIMEOUT_MS,
    ) -> None:
        # The SDK is large (aiohttp, requests): imported when a site sends an SMS, not by every run of the runner.
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        protocol, host = _endpoint(endpoint or os.environ.get(ENDPOINT_VARIABLE) or ALIYUN_ENDPOINT)
        self._client = Client(
            Config(
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                endpoint=host,
                protocol=protocol,
                connect_timeout=CONNECT_TIMEOUT_MS,
                read_timeout=read_timeout_ms,
            )
        )

    def send(
        self, *, phone: str, sign_name: str, template_code: str, values: Mapping[str, str], request_id: str
    ) -> Delivery:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        request = SendSmsRequest(
            phone_numbers=phone,
            sign_name=sign_name,
            template_code=template_code,
            template_param=json.dumps(dict(values), ensure_ascii=False),
            out_id=request_id,
        )
        try:
            body = self._call(self._client.send_sms_with_options, request)
        except ProviderUnreachable as error:
            return Delivery(UNKNOWN, short_answer(str(error)))
        except _Refused as refusal:
            return Delivery(FAILED, refusal.answer, retry=refusal.retry)
        code = str(body.get("Code", ""))
        answer = short_answer(f"{code} {body.get('Message', '')}".strip())
        if code == "OK":
            return Delivery(SENT, answer, provider_id=body.get("BizId"))
        if code in ALIYUN_LIMIT_CODES:
            return Delivery(RATE_LIMITED, answer)
        return Delivery(FAILED, answer, retry=code in ALIYUN_TRY_AGAIN_CODES)

    def find_sent(self, *, phone: str, request_id: str, sent_on: dt.date) -> Delivery | None:
        from alibabacloud_dysmsapi20170525.models import QuerySendDetailsRequest

        page = 1
        while True:
            request = QuerySendDetailsRequest(
                phone_number=phone, send_date=f"{sent_on:%Y%m%d}", page_size=QUERY_PAGE_SIZE, current_page=page
            )
            try:
                body = self._call(self._client.query_send_details_with_options, request)
            except _Refused as refusal:
                raise ProviderUnreachable(refusal.answer) from refusal
            if body.get("Code") != "OK":
                raise ProviderUnreachable(short_answer(f"{body.get('Code')} {body.get('Message', '')}"))
            details = (body.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            for detail in details:
                if detail.get("OutId") == request_id:
                    answer = short_answer(
                        f"QuerySendDetails: SendStatus {detail.get('SendStatus')} {detail.get('ErrCode', '')}".strip()
                    )
                    if detail.get("SendStatus") == ALIYUN_SEND_FAILED:
                        return Delivery(FAILED, answer, retry=False)
                    return Delivery(SENT, answer)
            if page * QUERY_PAGE_SIZE >= int(body.get("TotalCount") or 0) or not details:
                return None
            page += 1

    def _call(self, method: Callable[..., Any], request: Any) -> dict[str, Any]:
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
        from darabonba.runtime import RuntimeOptions

        try:
            response = method(request, RuntimeOptions(autoretry=False, max_attempts=0))
        except AlibabaCloudException as error:
            # An HTTP error answer: the provider got the request and refused it.
            code = str(getattr(error, "code", "") or "")
            status = getattr(error, "status_code", None) or 0
            retry = status >= 500 or code.startswith("Throttling") or code in ALIYUN_TRY_AGAIN_CODES
            answer = short_answer(f"HTTP {status} {code} {getattr(error, 'message', '')}".strip())
            raise _Refused(answer, retry) from error
        except Exception as error:  # the SDK wraps transport errors in its own kinds (RetryError, …)
            # Its words quote the request's URL, whose query holds the phone number: cut out.
            words = _QUERY.sub("?…", f"{type(error).__name__}: {error}")
            raise ProviderUnreachable(short_answer(words)) from error
        body: dict[str, Any] = response.body.to_map()
        return body


class _Refused(Exception):
    def __init__(self, answer: str, retry: bool) -> None:
        super().__init__(answer)
        self.answer = answer
        self.retry = retry


def _endpoint(endpoint: str) -> tuple[str, str]:
    """(protocol, host[:port]) of a bare host (HTTPS) or a URL."""
    if "://" not in endpoint:
        return "https", endpoint.strip().rstrip("/")
    parts = urlsplit(endpoint.strip())
    return parts.scheme.lower(), parts.netloc


SMS_PROVIDERS: dict[str, Callable[..., SmsProvider]] = {"aliyun": AliyunSms}


def sms_provider(name: str, *, access_key_id: str, access_key_secret: str) -> SmsProvider:
    """The provider a site's channel names, with its keys; KeyError for a provider the code does not know."""
    return SMS_PROVIDERS[name](access_key_id=access_key_id, access_key_secret=access_key_secret)
