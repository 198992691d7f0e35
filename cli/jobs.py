"""The runner of the scheduled jobs: `python -m db jobs run` (once, for cron or a systemd timer) and `jobs serve`
(every minute). One run: queue what is due (db/outbox/plans.py, worded here in each site's language), settle the
messages a runner that died left "sending", then claim what is due and send it within the channels' limits.

Several runners at once never send a message twice: the store hands each due message to one runner (the claim,
committed before anything is sent), and every settlement names the runner holding it. A runner killed mid-send
leaves its claims "sending"; ten minutes later the next run settles them: an SMS by asking the provider about the
request's own id (sent → sent; never arrived → sent now), a robot's post, which cannot be asked about, as unknown
(an organizer decides on the outbox page).

The limits are counted against the run's clock, never waited for: a robot takes 20 posts a minute (the rest are put
back a minute later; errcode 130101 puts back all that robot's others of the run), an SMS is never sent between 21:00
and 08:00 nor more than 50 times a day to one phone per kind (put back to 08:00)."""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cli.outbox_text import is_markdown, message_text, message_values
from cli.senders import FAILED, RATE_LIMITED, SENT, UNKNOWN, Delivery
from cli.senders.sms import ProviderUnreachable, SmsProvider, sms_provider, template_values
from cli.senders.wecom import WecomRobot, part_count
from db.core.clock import local_moment, to_local
from db.core.engine import read_only, unit_of_work
from db.core.errors import StoreError, WrongState
from db.core.privacy import mask_phone
from db.core.secrets import OPT_OUT_HASH_KEY, app_secret
from db.outbox.channels import ChannelConfig, channel_for_sending
from db.outbox.limits import QUIET_UNTIL, ROBOT_PER_MINUTE, SMS_PER_PHONE_DAY, after_quiet_hours, in_quiet_hours
from db.outbox.messages import (
    OutgoingMessage,
    claim_due_messages,
    mark_failed,
    mark_sent,
    mark_unknown,
    put_back,
    queue_message,
    sent_lately,
    sms_sent_today,
    stale_sending,
)
from db.outbox.opt_outs import is_opted_out
from db.outbox.plans import Planned, due_notifications
from db.outbox.runs import finish_job_run, ran_since, start_job_run
from db.people.sites import get_site_rules
from db.privacy.retention import purge_personal_data
from ui.i18n import translate

# A claim at a time: small enough that a runner killed mid-batch leaves few messages to settle.
CLAIM_BATCH = 20
# A robot's minute: posts in the last 60 s count against its 20.
ROBOT_WINDOW = dt.timedelta(minutes=1)
# A failure worth another try waits longer each time (the store gives up after its 5th attempt).
RETRY_AFTER = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15), dt.timedelta(hours=1))
# The SMS provider's own flow control for a phone: try again in an hour.
SMS_LIMITED_WAIT = dt.timedelta(hours=1)
# A claim this old is a dead runner's (the longest post takes 15 s: connecting 5, answer 10).
STALE_MINUTES = 10
# How many days back an SMS left sending is looked for at the provider (it keeps 30 days of details).
SETTLE_DAYS = 3
# The privacy purge (db/privacy/retention.py) runs at most this often: a run that did it counts PURGE_COUNT.
PURGE_EVERY = dt.timedelta(hours=1)
PURGE_COUNT = "privacy_purge"


def runner_name() -> str:
    """This process, as the outbox names who holds a claim: host and process id."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}"


@dataclass
class RunReport:
    """What one run did: counts by what happened, and a line per message for the terminal."""

    counts: Counter[str] = field(default_factory=Counter)
    lines: list[str] = field(default_factory=list)


class Runner:
    """Runs the jobs against one store. `clock` gives the run's moment (tests and the figures pass a fake one);
    `sms_providers` makes a site's SMS provider from its channel (tests: the fake's endpoint via the environment)."""

    def __init__(
        self,
        engine: Engine,
        *,
        name: str | None = None,
        clock: Callable[[], dt.datetime],
        http: httpx.Client,
        language: str = "en",
        sms_providers: Callable[[ChannelConfig], SmsProvider] | None = None,
        robot_timeout: httpx.Timeout | None = None,
    ) -> None:
        self.engine = engine
        self.name = name or runner_name()
        self.clock = clock
        self.http = http
        self.language = language
        self._sms_providers = sms_providers or _aliyun_from_channel
        self._robot_timeout = robot_timeout
        self._hash_key_made = False

    def make_hash_key(self) -> None:
        """The opt-outs' hash key, made on its first use (db/core/secrets.py): made here once, in a write
        transaction, so the planner, which hashes phones, only reads."""
        if not self._hash_key_made:
            with unit_of_work(self.engine) as session:
                app_secret(session, name=OPT_OUT_HASH_KEY, now=self.clock())
            self._hash_key_made = True

    def run_once(self) -> RunReport:
        now = self.clock()
        run = _Run(self, now)
        with unit_of_work(self.engine) as session:
            run_id = start_job_run(session, runner=self.name, now=now)
        run.queue_due()
        run.settle_stale()
        run.send_due()
        run.purge_if_due()
        with unit_of_work(self.engine) as session:
            finish_job_run(session, run_id=run_id, counts=dict(run.report.counts), now=self.clock())
        return run.report


class _Run:
    """One run's state: the channels and providers read once, each robot's posts this minute."""

    def __init__(self, runner: Runner, now: dt.datetime) -> None:
        self.runner = runner
        self.now = now
        self.report = RunReport()
        self._channels: dict[tuple[int, str], ChannelConfig | None] = {}
        self._providers: dict[int, SmsProvider] = {}
        # Posts to a site's robot this run that the store does not count as sent messages: a long text's further
        # parts, and posts whose answer never came (unknown).
        self._robot_uncounted: Counter[int] = Counter()
        self._robot_full: set[int] = set()

    # --- the retention rule's purge, once an hour ---

    def purge_if_due(self) -> None:
        """Anonymise what has run past the sites' retention rules and forget ended sign-ins, unless a run did it
        within the last hour; the counts say what it changed (purged_orders, …)."""
        engine = self.runner.engine
        with read_only(engine) as session:
            if ran_since(session, count=PURGE_COUNT, since=self.now - PURGE_EVERY):
                return
        purged = purge_personal_data(engine, now=self.now)
        self.report.counts[PURGE_COUNT] += 1
        for what in ("orders", "events", "messages", "sessions", "devices"):
            if getattr(purged, what):
                self.report.counts[f"purged_{what}"] += getattr(purged, what)

    # --- queue ---

    def queue_due(self) -> None:
        """Plan in a read-only transaction (on SQLite no write lock while the planner reads, which is every minute
        with nothing new), then queue what was planned in one write transaction; a key another runner queued
        meanwhile adds nothing."""
        engine = self.runner.engine
        self.runner.make_hash_key()
        with read_only(engine) as session:
            planned = due_notifications(session, now=self.now)
            languages = {site: get_site_rules(session, site_id=site).language for site in {p.site_id for p in planned}}
        if not planned:
            return
        signatures = {plan.site_id: self._sign_name(plan.site_id) for plan in planned if plan.channel == "sms"}
        with unit_of_work(engine) as session:
            for plan in planned:
                language = languages[plan.site_id]
                values = message_values(plan.kind, plan.values, channel=plan.channel, language=language)
                text = message_text(plan.kind, values, language=language)
                if signatures.get(plan.site_id) and plan.channel == "sms":
                    # As the phone shows it: the provider puts the site's signature first, 【天山二村】.
                    text = f"【{signatures[plan.site_id]}】{text}"
                message_id = queue_message(
                    session,
                    site_id=plan.site_id,
                    channel=plan.channel,
                    audience=plan.audience,
                    kind=plan.kind,
                    values=values,
                    text=text,
                    due_at=plan.due_at,
                    idempotency_key=plan.idempotency_key,
                    now=self.now,
                    recipient=plan.recipient,
                    volunteer_id=plan.volunteer_id,
                    order_ids=plan.order_ids,
                    shift_id=plan.shift_id,
                    reading_id=plan.reading_id,
                    storage_unit_id=plan.storage_unit_id,
                )
                if message_id is not None:
                    self._said("queued", message_id, plan)

    def _sign_name(self, site_id: int) -> str | None:
        config = self._channel(site_id, "sms")
        if config is None or not config.settings.get("sign_name"):
            return None
        return str(config.settings["sign_name"])

    # --- settle what a dead runner left ---

    def settle_stale(self) -> None:
        with unit_of_work(self.runner.engine) as session:
            stale = stale_sending(session, now=self.now, older_than_minutes=STALE_MINUTES)
        for message in stale:
            holder: dict[str, Any] = dict(message_id=message.id, runner=message.claimed_by or "", now=self.now)
            if message.channel == "sms":
                self._settle_sms(message, holder)
            else:
                answer = f"runner {message.claimed_by} stopped while sending; the robot cannot be asked what arrived"
                self._settle("unknown", message, partial(mark_unknown, **holder, answer=answer))

    def _settle_sms(self, message: OutgoingMessage, holder: dict[str, Any]) -> None:
        provider = self._provider(message.site_id)
        if provider is None or not message.recipient or not message.request_id:
            self._settle("unknown", message, partial(mark_unknown, **holder, answer="no SMS provider to ask"))
            return
        found: Delivery | None = None
        try:
            for day in settle_days(self.now, message.due_at):
                found = provider.find_sent(phone=message.recipient, request_id=message.request_id, sent_on=day)
                if found is not None:
                    break
        except ProviderUnreachable as error:
            self._said("unsettled", message.id, message, reason=str(error))
            return
        if found is None:
            # The provider never got it: due again now, so the claim below sends it (one more attempt counted).
            answer = "not at the provider: sent again"
            self._settle("resent", message, partial(mark_failed, **holder, answer=answer, retry_at=self.now))
        elif found.outcome == SENT:
            self._settle("sent", message, partial(mark_sent, **holder, answer=found.answer))
        else:
            self._settle("given_up", message, partial(mark_failed, **holder, answer=found.answer, retry_at=None))

    def _settle(self, what: str, message: OutgoingMessage, change: Callable[[Session], object]) -> None:
        try:
            with unit_of_work(self.runner.engine) as session:
                change(session)
        except WrongState:
            return  # another runner settled it first
        self._said(f"settled_{what}", message.id, message)

    # --- send ---

    def send_due(self) -> None:
        while True:
            with unit_of_work(self.runner.engine) as session:
                claimed = claim_due_messages(session, runner=self.runner.name, now=self.now, limit=CLAIM_BATCH)
            if not claimed:
                return
            for message in claimed:
                self._send(message)

    def _send(self, message: OutgoingMessage) -> None:
        config = self._channel(message.site_id, message.channel)
        if config is None:
            self._fail(message, Delivery(FAILED, "the site has no such channel set up", retry=False))
        elif message.channel == "wecom":
            self._send_to_robot(message, config)
        elif message.channel == "sms":
            self._send_sms(message, config)
        else:
            self._fail(message, Delivery(FAILED, f"no sender for channel {message.channel}", retry=False))

    def _send_to_robot(self, message: OutgoingMessage, config: ChannelConfig) -> None:
        site = message.site_id
        markdown = is_markdown(message.kind)
        parts = part_count(message.text, markdown=markdown)
        if site in self._robot_full or self._robot_posted(site) + parts > ROBOT_PER_MINUTE:
            self._put_back(message, self.now + ROBOT_WINDOW, "robot_minute")
            return
        robot = WecomRobot(config.secrets.get("webhook_url", ""), client=self.runner.http, **self._robot_options())
        mentions = [message.recipient] if message.recipient and not markdown else []
        delivery = robot.send(message.text, markdown=markdown, mentioned_mobiles=mentions)
        if delivery.outcome in (SENT, UNKNOWN):
            self._robot_uncounted[site] += parts - 1 if delivery.outcome == SENT else parts
        if delivery.outcome == RATE_LIMITED:
            self._robot_full.add(site)  # do not hammer: its others wait for the next minute too
            self._put_back(message, self.now + ROBOT_WINDOW, "robot_refused", answer=delivery.answer)
        elif delivery.outcome == UNKNOWN:
            self._mark("unknown", message, partial(mark_unknown, **self._held(message), answer=delivery.answer))
        else:
            self._settle_delivery(message, delivery)

    def _held(self, message: OutgoingMessage) -> dict[str, Any]:
        """How this runner names a message it holds, for the store's settlements."""
        return dict(message_id=message.id, runner=self.runner.name, now=self.now)

    def _robot_posted(self, site: int) -> int:
        """Posts to the site's robot in its last minute (now − 60 s, now]: the messages the store has as sent in it,
        this run's and other runners' (asked before each post, so runners at once keep each other's count), and this
        run's posts the store does not count."""
        with read_only(self.runner.engine) as session:
            lately = sent_lately(session, site_id=site, channel="wecom", since=self.now - ROBOT_WINDOW + _TICK)
        return lately + self._robot_uncounted[site]

    def _robot_options(self) -> dict[str, Any]:
        return {"timeout": self.runner._robot_timeout} if self.runner._robot_timeout is not None else {}

    def _send_sms(self, message: OutgoingMessage, config: ChannelConfig) -> None:
        phone = message.recipient or ""
        if in_quiet_hours(self.now):
            self._put_back(message, after_quiet_hours(self.now), "quiet_hours")
            return
        with unit_of_work(self.runner.engine) as session:
            opted_out = is_opted_out(session, phone=phone, now=self.now)
            today = sms_sent_today(session, recipient=phone, kind=message.kind, now=self.now)
        if opted_out:
            self._fail(message, Delivery(FAILED, "the resident asked for no more SMS", retry=False), reason="opted_out")
            return
        if today >= SMS_PER_PHONE_DAY:
            tomorrow = to_local(self.now).date() + dt.timedelta(days=1)
            self._put_back(message, local_moment(tomorrow, QUIET_UNTIL), "phone_day")
            return
        template_code = (config.settings.get("template_codes") or {}).get(message.kind)
        sign_name = config.settings.get("sign_name")
        provider = self._provider(message.site_id)
        if not template_code or not sign_name or provider is None or not message.request_id:
            self._fail(message, Delivery(FAILED, "no template code, signature or provider for this kind", retry=False))
            return
        delivery = provider.send(
            phone=phone,
            sign_name=sign_name,
            template_code=template_code,
            values=template_values(message.values),  # as queued: the provider's variables
            request_id=message.request_id,
        )
        if delivery.outcome == RATE_LIMITED:
            self._put_back(message, self.now + SMS_LIMITED_WAIT, "provider_limit", answer=delivery.answer)
        elif delivery.outcome == UNKNOWN:
            # Left "sending": the run after the claim goes stale asks the provider by the request's id.
            self._said("left_sending", message.id, message, reason=delivery.answer)
        else:
            self._settle_delivery(message, delivery)

    def _settle_delivery(self, message: OutgoingMessage, delivery: Delivery) -> None:
        if delivery.outcome != SENT:
            self._fail(message, delivery)
            return
        # Marked at the moment it went (the run's clock read again), for the time from due to sent.
        held = self._held(message) | {"now": self.runner.clock()}
        self._mark(
            "sent", message, partial(mark_sent, **held, provider_id=delivery.provider_id, answer=delivery.answer)
        )

    def _fail(self, message: OutgoingMessage, delivery: Delivery, *, reason: str | None = None) -> None:
        retry_at = self.now + RETRY_AFTER[min(message.attempts, len(RETRY_AFTER)) - 1] if delivery.retry else None
        change = partial(mark_failed, **self._held(message), answer=delivery.answer, retry_at=retry_at)
        status = self._mark("failed", message, change, quiet=True)
        if status is not None:  # failed (tried again at retry_at) or given_up
            self._said(str(status), message.id, message, reason=reason or delivery.answer, at=retry_at)

    def _put_back(
        self, message: OutgoingMessage, due_at: dt.datetime, reason: str, *, answer: str | None = None
    ) -> None:
        change = partial(put_back, message_id=message.id, runner=self.runner.name, due_at=due_at, answer=answer)
        self._mark("held", message, change, reason=reason, at=due_at)

    def _mark(
        self,
        what: str,
        message: OutgoingMessage,
        change: Callable[[Session], object],
        *,
        quiet: bool = False,
        reason: str | None = None,
        at: dt.datetime | None = None,
    ) -> object:
        """Write a settlement of a message this runner holds; what the store returned, None when it had moved."""
        try:
            with unit_of_work(self.runner.engine) as session:
                result = change(session)
        except StoreError as error:  # moved meanwhile (an organizer cancelled it): said, nothing more
            self._said("moved", message.id, message, reason=error.key)
            return None
        if not quiet:
            self._said(what, message.id, message, reason=reason, at=at)
        return result if result is not None else what

    # --- reading the channels ---

    def _channel(self, site_id: int, channel: str) -> ChannelConfig | None:
        key = (site_id, channel)
        if key not in self._channels:
            with read_only(self.runner.engine) as session:
                self._channels[key] = channel_for_sending(session, site_id=site_id, channel=channel)
        return self._channels[key]

    def _provider(self, site_id: int) -> SmsProvider | None:
        if site_id not in self._providers:
            config = self._channel(site_id, "sms")
            if config is None:
                return None
            try:
                self._providers[site_id] = self.runner._sms_providers(config)
            except (KeyError, ValueError):
                return None
        return self._providers[site_id]

    # --- words ---

    def _said(
        self,
        what: str,
        message_id: int,
        message: OutgoingMessage | Planned,
        *,
        reason: str | None = None,
        at: dt.datetime | None = None,
    ) -> None:
        self.report.counts[what] += 1
        language = self.runner.language
        recipient = mask_phone(message.recipient) if message.recipient else "—"
        worded_reason = translate(language, f"cli.jobs.reason.{reason}").plain if reason else ""
        if reason and worded_reason == f"cli.jobs.reason.{reason}":
            worded_reason = reason  # a provider's own words
        params: dict[str, Any] = dict(
            id=message_id, channel=message.channel, kind=message.kind, recipient=recipient, reason=worded_reason
        )
        if at is not None:
            params["at"] = at
        self.report.lines.append(translate(language, f"cli.jobs.{what}", **params).plain)


# A microsecond: the robot's window is (now − 60 s, now], the store counts from `since` on.
_TICK = dt.timedelta(microseconds=1)


def settle_days(now: dt.datetime, due_at: dt.datetime) -> list[dt.date]:
    """The Shanghai days an SMS claimed after `due_at` and before `now` may be filed under at the provider, newest
    first, at most SETTLE_DAYS of them."""
    last = to_local(now).date()
    first = max(to_local(due_at).date(), last - dt.timedelta(days=SETTLE_DAYS - 1))
    return [last - dt.timedelta(days=back) for back in range((last - first).days + 1)]


def _aliyun_from_channel(config: ChannelConfig) -> SmsProvider:
    return sms_provider(
        str(config.settings.get("provider") or "aliyun"),
        access_key_id=config.secrets["access_key_id"],
        access_key_secret=config.secrets["access_key_secret"],
    )
