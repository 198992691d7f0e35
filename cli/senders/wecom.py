"""The WeCom group robot (企业微信群机器人): a text (with @ by mobile number) or a markdown message posted to the
group's webhook URL, split into the parts the robot takes, through httpx with a timeout on every call.

The robot's documented limits: a text's content at most 2,048 bytes of UTF-8, a markdown's 4,096; 20 messages a
minute per robot (errcode 130101 past that; the runner counts them first, cli/jobs.py); markdown has no @."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import httpx

from cli.senders import FAILED, RATE_LIMITED, SENT, UNKNOWN, Delivery, short_answer
from db.outbox.limits import ROBOT_TEXT_BYTES, split_for_robot

TEXT_BYTES = ROBOT_TEXT_BYTES
MARKDOWN_BYTES = 4096
# 130101: "send too many messages" for a robot; 45009: the API's general frequency limit.
RATE_LIMIT_CODES = frozenset({130101, 45009})
# -1: the service is busy, try again; any other non-zero errcode is about the request itself (bad key, bad body).
BUSY_CODE = -1
# Connecting may take 5 s, the answer 10 s: a runner every minute never waits on one post for longer.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_KEY = re.compile(r"(key=)[^&\s]+")


def part_count(text: str, *, markdown: bool) -> int:
    """How many posts `text` takes: what the per-minute limit counts."""
    return len(split_for_robot(text, limit=MARKDOWN_BYTES if markdown else TEXT_BYTES))


class WecomRobot:
    """One group's robot, by its webhook URL (a secret: it holds the robot's key, never shown or logged)."""

    def __init__(self, webhook_url: str, *, client: httpx.Client, timeout: httpx.Timeout = TIMEOUT) -> None:
        self._url = webhook_url
        self._client = client
        self._timeout = timeout

    def send(self, text: str, *, markdown: bool = False, mentioned_mobiles: Sequence[str] = ()) -> Delivery:
        """Post `text` in as many parts as it needs, in order, the @ with the first. A part after the first that
        does not go makes the whole UNKNOWN: some of it is in the group, so sending it all again would double it."""
        parts = split_for_robot(text, limit=MARKDOWN_BYTES if markdown else TEXT_BYTES)
        answers = []
        for number, part in enumerate(parts, start=1):
            if markdown:
                body = {"msgtype": "markdown", "markdown": {"content": part}}
            else:
                mentions = list(mentioned_mobiles) if number == 1 else []
                body = {"msgtype": "text", "text": {"content": part, "mentioned_mobile_list": mentions}}
            delivery = self._post(body)
            if delivery.outcome != SENT:
                if number == 1:
                    return delivery
                return Delivery(UNKNOWN, short_answer(f"part {number} of {len(parts)}: {delivery.answer}"))
            answers.append(delivery.answer)
        answer = answers[0] if len(parts) == 1 else f"{len(parts)} parts: {answers[-1]}"
        return Delivery(SENT, short_answer(answer))

    def _post(self, body: Mapping[str, object]) -> Delivery:
        try:
            response = self._client.post(self._url, json=body, timeout=self._timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # Nothing reached the robot: it may go again.
            return Delivery(FAILED, self._described(error))
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            return Delivery(FAILED, self._described(error), retry=False)
        except httpx.HTTPError as error:
            # The request went out and no answer came back (a read timeout, a dropped connection): it may be in
            # the group already. The robot cannot be asked, so an organizer decides (the outbox page).
            return Delivery(UNKNOWN, self._described(error))
        if response.status_code >= 500:
            return Delivery(FAILED, f"HTTP {response.status_code}")
        if response.status_code >= 400:
            return Delivery(FAILED, f"HTTP {response.status_code}", retry=False)
        try:
            answer = response.json()
            errcode = int(answer.get("errcode"))
        except (ValueError, TypeError, AttributeError):
            return Delivery(FAILED, short_answer(f"HTTP {response.status_code}: {response.text}"))
        words = short_answer(f"{errcode} {answer.get('errmsg', '')}".strip())
        if errcode == 0:
            return Delivery(SENT, words)
        if errcode in RATE_LIMIT_CODES:
            return Delivery(RATE_LIMITED, words)
        return Delivery(FAILED, words, retry=errcode == BUSY_CODE)

    def _described(self, error: Exception) -> str:
        # An error's words may quote the URL: its key is cut out.
        return short_answer(_KEY.sub(r"\1…", f"{type(error).__name__}: {error}".replace(self._url, "webhook")))
