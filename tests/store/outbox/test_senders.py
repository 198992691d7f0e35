"""The senders against fake providers on 127.0.0.1 (tests/support/fake_wecom.py, tests/support/fake_sms.py): what
each answer becomes, the robot's split of a long text, and an SMS whose fate is unknown settled by its request id."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import httpx
import pytest

from cli.senders import FAILED, RATE_LIMITED, SENT, UNKNOWN
from cli.senders.sms import VALUE_CHARS, AliyunSms, ProviderUnreachable, template_values
from cli.senders.wecom import TEXT_BYTES, WecomRobot, part_count
from db.core.clock import local_today
from db.outbox.limits import split_for_robot
from tests.support.fake_sms import FakeSms
from tests.support.fake_wecom import FakeRobot

SHORT = httpx.Timeout(0.3, connect=1.0)


@pytest.fixture
def robot_server() -> Iterator[FakeRobot]:
    with FakeRobot() as fake:
        yield fake


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def sms_server() -> Iterator[FakeSms]:
    with FakeSms() as fake:
        yield fake


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_text_goes_to_the_robot_with_its_mention(robot_server: FakeRobot, http_client: httpx.Client):
    robot = WecomRobot(robot_server.webhook_url("k-1"), client=http_client)
    delivery = robot.send("明天 08:00 到岗", mentioned_mobiles=["13800001111"])
    assert (delivery.outcome, delivery.answer) == (SENT, "0 ok")
    [arrival] = robot_server.arrived
    assert (arrival.key, arrival.msgtype, arrival.content, arrival.mentioned) == (
        "k-1",
        "text",
        "明天 08:00 到岗",
        ["13800001111"],
    )


def test_markdown_goes_without_a_mention(robot_server: FakeRobot, http_client: httpx.Client):
    delivery = WecomRobot(robot_server.webhook_url(), client=http_client).send(
        "**今日小结**\n> 到货 12 袋", markdown=True
    )
    assert delivery.outcome == SENT
    [arrival] = robot_server.arrived
    assert arrival.msgtype == "markdown" and arrival.body["markdown"] == {"content": "**今日小结**\n> 到货 12 袋"}


@pytest.mark.parametrize(
    ("behaviour", "outcome", "retry"),
    [("rate_limited", RATE_LIMITED, True), ("error", FAILED, True)],
)
def test_a_refusal_is_posted_once_and_said(
    robot_server: FakeRobot, http_client: httpx.Client, behaviour: str, outcome: str, retry: bool
):
    robot_server.answer_next(behaviour)
    delivery = WecomRobot(robot_server.webhook_url(), client=http_client).send("hello")
    assert (delivery.outcome, delivery.retry, robot_server.posts) == (outcome, retry, 1)
    assert delivery.answer == ("130101 send too many messages" if behaviour == "rate_limited" else "HTTP 500")


def test_a_timeout_is_unknown_and_never_names_the_key(robot_server: FakeRobot, http_client: httpx.Client):
    robot_server.answer_next("hold")
    delivery = WecomRobot(robot_server.webhook_url("secret-key-9876"), client=http_client, timeout=SHORT).send("hi")
    assert delivery.outcome == UNKNOWN and "ReadTimeout" in delivery.answer
    assert "secret-key" not in delivery.answer and len(robot_server.arrived) == 1


def test_a_robot_nobody_answers_at_failed_to_connect_may_go_again(http_client: httpx.Client):
    url = f"http://127.0.0.1:{closed_port()}/cgi-bin/webhook/send?key=secret-key-9876"
    delivery = WecomRobot(url, client=http_client, timeout=SHORT).send("hi")
    assert (delivery.outcome, delivery.retry) == (FAILED, True)
    assert "secret-key" not in delivery.answer


def test_a_long_text_goes_in_parts_of_at_most_2048_bytes_the_mention_with_the_first(
    robot_server: FakeRobot, http_client: httpx.Client
):
    lines = [f"{number:03d} 王*英 12号楼 冷藏 2 袋，请今天取走" for number in range(120)]
    text = "\n".join(lines)
    assert len(text.encode()) > 2 * TEXT_BYTES
    delivery = WecomRobot(robot_server.webhook_url(), client=http_client).send(text, mentioned_mobiles=["13800001111"])
    assert delivery.outcome == SENT and part_count(text, markdown=False) == len(robot_server.arrived) == 4
    assert all(len(arrival.content.encode()) <= TEXT_BYTES for arrival in robot_server.arrived)
    assert "\n".join(arrival.content for arrival in robot_server.arrived) == text
    assert [arrival.mentioned for arrival in robot_server.arrived] == [["13800001111"], [], [], []]


def test_a_later_part_that_does_not_go_makes_the_whole_unknown(robot_server: FakeRobot, http_client: httpx.Client):
    robot_server.answer_next("ok", "rate_limited")
    text = "\n".join("冷" * 600 for _ in range(3))
    delivery = WecomRobot(robot_server.webhook_url(), client=http_client).send(text)
    assert delivery.outcome == UNKNOWN and delivery.answer.startswith("part 2 of 3: 130101")
    assert robot_server.posts == 2


def test_split_for_robot_cuts_a_long_line_between_characters_and_keeps_a_fitting_text_whole():
    assert split_for_robot("a" * TEXT_BYTES, limit=TEXT_BYTES) == ["a" * TEXT_BYTES]
    parts = split_for_robot("温" * 1000, limit=TEXT_BYTES)  # 3 bytes each: 682 fit
    assert [len(part) for part in parts] == [682, 318] and "".join(parts) == "温" * 1000


def test_an_sms_goes_with_its_template_signature_values_and_request_id(sms_server: FakeSms):
    provider = AliyunSms(access_key_id="LTAI-key-id", access_key_secret="secret", endpoint=sms_server.endpoint)
    delivery = provider.send(
        phone="13912345678", sign_name="天山二村", template_code="SMS_100", values={"count": "2"}, request_id="r1"
    )
    assert (delivery.outcome, delivery.provider_id, delivery.answer) == (SENT, "900000^0", "OK OK")
    [arrival] = sms_server.sent
    assert (arrival.phone, arrival.sign_name, arrival.template_code, arrival.params, arrival.out_id) == (
        "13912345678",
        "天山二村",
        "SMS_100",
        {"count": "2"},
        "r1",
    )
    assert arrival.access_key_id == "LTAI-key-id"


@pytest.mark.parametrize(
    ("behaviour", "outcome", "retry", "code"),
    [
        ("limit", RATE_LIMITED, True, "isv.BUSINESS_LIMIT_CONTROL"),
        ("refused", FAILED, False, "isv.MOBILE_NUMBER_ILLEGAL"),
        ("error", FAILED, True, "HTTP 500 ServiceUnavailable"),
    ],
)
def test_a_provider_error_is_said_and_whether_to_try_again(
    sms_server: FakeSms, behaviour: str, outcome: str, retry: bool, code: str
):
    sms_server.answer_next(behaviour)
    provider = AliyunSms(access_key_id="id", access_key_secret="secret", endpoint=sms_server.endpoint)
    delivery = provider.send(phone="13912345678", sign_name="s", template_code="SMS_1", values={}, request_id="r")
    assert (delivery.outcome, delivery.retry) == (outcome, retry) and delivery.answer.startswith(code)
    assert sms_server.sent == []


def test_an_sms_timed_out_is_unknown_then_settled_by_its_request_id(sms_server: FakeSms):
    sms_server.answer_next("hold")
    provider = AliyunSms(
        access_key_id="id", access_key_secret="secret", endpoint=sms_server.endpoint, read_timeout_ms=300
    )
    delivery = provider.send(phone="13912345678", sign_name="s", template_code="SMS_1", values={}, request_id="r-9")
    assert delivery.outcome == UNKNOWN and "13912345678" not in delivery.answer
    today = local_today()
    settled = provider.find_sent(phone="13912345678", request_id="r-9", sent_on=today)
    assert settled is not None and settled.outcome == SENT and "SendStatus 3" in settled.answer
    assert provider.find_sent(phone="13912345678", request_id="r-never", sent_on=today) is None
    assert provider.find_sent(phone="13912345678", request_id="r-9", sent_on=today - dt.timedelta(days=1)) is None


def test_a_provider_that_cannot_be_asked_leaves_the_question_open():
    provider = AliyunSms(access_key_id="id", access_key_secret="secret", endpoint=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(ProviderUnreachable) as raised:
        provider.find_sent(phone="13912345678", request_id="r", sent_on=dt.date(2026, 11, 25))
    assert "13912345678" not in str(raised.value)
    delivery = provider.send(phone="13912345678", sign_name="s", template_code="SMS_1", values={}, request_id="r")
    assert delivery.outcome == UNKNOWN and "13912345678" not in delivery.answer


def test_template_values_are_text_within_the_providers_length():
    values = template_values({"count": 3, "site": "天" * 50, "codes": "A1 \n B2"})
    assert values["count"] == "3" and values["codes"] == "A1 B2"
    assert len(values["site"]) == VALUE_CHARS and values["site"].endswith("…")
