"""The channels a site set up (the staff group's WeCom robot, an SMS provider), their secrets, and the kinds of
message a site switched off.

A secret is written here and read back whole only by `channel_for_sending` (the runner); everything a page, an
export or the event log gets holds its last four characters at most. Channel secrets are never in a portable
backup (db/core/backup.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.core.engine import rows_changed
from db.core.errors import InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import ChannelSecret, NotificationSwitch, SiteChannel

# The secrets and the plain settings of each channel a site can set up.
CHANNEL_SECRETS: dict[str, tuple[str, ...]] = {"wecom": ("webhook_url",), "sms": ("access_key_id", "access_key_secret")}
CHANNEL_SETTINGS: dict[str, tuple[str, ...]] = {"sms": ("provider", "sign_name", "template_codes")}
SMS_PROVIDERS = ("aliyun",)
# Every kind of message the app sends, and the channel it goes by: volunteers and organizers through the staff
# group's robot, residents by SMS.
KIND_CHANNELS: dict[str, str] = {
    "shift_reminder_24h": "wecom",
    "shift_reminder_2h": "wecom",
    "shift_cancelled": "wecom",
    "stand_in_wanted": "wecom",
    "shift_understaffed": "wecom",
    "reading_missed": "wecom",
    "excursion_follow_up": "wecom",
    "day_summary": "wecom",
    "overdue_reminder": "sms",
}
NOTIFICATION_KINDS = tuple(KIND_CHANNELS)
CHANNEL_SET_ACTION = "channel.set"
CHANNEL_REMOVED_ACTION = "channel.removed"
NOTIFICATION_SWITCHED_ACTION = "notification.switched"
MAX_SECRET_LENGTH = 2000


@dataclass(frozen=True)
class ChannelView:
    """A channel as a page shows it: never a secret, only each one's last four characters."""

    channel: str
    enabled: bool
    settings: dict[str, Any]
    secret_last_fours: dict[str, str]
    updated_at: dt.datetime


@dataclass(frozen=True)
class ChannelConfig:
    """A channel with its secrets, for the runner only."""

    site_id: int
    channel: str
    enabled: bool
    settings: dict[str, Any]
    secrets: dict[str, str]


def _check_settings(channel: str, settings: dict[str, Any]) -> dict[str, Any]:
    known = CHANNEL_SETTINGS.get(channel, ())
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise InvalidValue(field=unknown[0])
    checked: dict[str, Any] = {}
    for name, value in settings.items():
        if name == "template_codes":
            if not isinstance(value, dict) or any(
                kind not in NOTIFICATION_KINDS or not isinstance(code, str) for kind, code in value.items()
            ):
                raise InvalidValue(field=name)
            checked[name] = {kind: code.strip() for kind, code in sorted(value.items()) if code.strip()}
        elif name == "provider":
            if value not in SMS_PROVIDERS:
                raise InvalidValue(field=name, value=value)
            checked[name] = value
        else:
            if not isinstance(value, str):
                raise InvalidValue(field=name)
            checked[name] = value.strip()
    return checked


def _check_secret(name: str, value: str) -> str:
    value = value.strip()
    if len(value) > MAX_SECRET_LENGTH or any(character.isspace() for character in value):
        raise InvalidValue(field=name)
    if name == "webhook_url" and not value.startswith(("https://", "http://")):
        raise InvalidValue(field=name)
    return value


def _last_four(value: str) -> str:
    return value[-4:]


def set_channel(
    session: Session,
    *,
    site_id: int,
    channel: str,
    enabled: bool,
    settings: dict[str, Any],
    secrets: dict[str, str | None],
    volunteer_id: int | None,
    now: dt.datetime,
) -> None:
    """Set up or change a site's channel. A secret given as "" or None keeps the one stored; an enabled channel
    needs every secret of its kind. Settings not given keep theirs. The event records each secret's last four only."""
    if channel not in CHANNEL_SECRETS:
        raise InvalidValue(field="channel", value=channel)
    unknown = sorted(set(secrets) - set(CHANNEL_SECRETS[channel]))
    if unknown:
        raise InvalidValue(field=unknown[0])
    checked = _check_settings(channel, settings)
    stored = {
        secret.name: secret
        for secret in session.scalars(
            select(ChannelSecret).where(ChannelSecret.site_id == site_id, ChannelSecret.channel == channel)
        )
    }
    given = {name: _check_secret(name, value) for name, value in secrets.items() if value and value.strip()}
    if enabled:
        missing = [name for name in CHANNEL_SECRETS[channel] if name not in given and name not in stored]
        if missing:
            raise InvalidValue(field=missing[0])
    row = session.get(SiteChannel, (site_id, channel))
    before = _event_values(row, stored) if row is not None else None
    if row is None:
        row = SiteChannel(site_id=site_id, channel=channel, settings={})
        session.add(row)
    row.enabled = enabled
    row.settings = {**row.settings, **checked}
    row.updated_at = now
    row.updated_by = volunteer_id
    for name, value in given.items():
        secret = stored.get(name)
        if secret is None:
            secret = ChannelSecret(site_id=site_id, channel=channel, name=name)
            session.add(secret)
            stored[name] = secret
        secret.value = value
        secret.last_four = _last_four(value)
        secret.updated_at = now
        secret.updated_by = volunteer_id
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=volunteer_id,
        action=CHANNEL_SET_ACTION,
        entity="site",
        entity_id=site_id,
        now=now,
        before=before,
        after=_event_values(row, stored),
    )


def _event_values(row: SiteChannel, secrets: dict[str, ChannelSecret]) -> dict[str, Any]:
    """What the event log keeps of a channel: the plain settings, and of each secret "…" and its last four."""
    values: dict[str, Any] = {"channel": row.channel, "enabled": row.enabled}
    for name, value in sorted(row.settings.items()):
        values[name] = [f"{kind}: {code}" for kind, code in value.items()] if isinstance(value, dict) else value
    for name in CHANNEL_SECRETS[row.channel]:
        if name in secrets:
            values[name] = "…" + secrets[name].last_four
    return values


def remove_channel(session: Session, *, site_id: int, channel: str, volunteer_id: int | None, now: dt.datetime) -> None:
    """Remove a site's channel and its secrets (messages already queued stay; the runner finds no channel)."""
    row = session.get(SiteChannel, (site_id, channel))
    if row is None:
        raise NotFound(channel=channel)
    stored = {
        secret.name: secret
        for secret in session.scalars(
            select(ChannelSecret).where(ChannelSecret.site_id == site_id, ChannelSecret.channel == channel)
        )
    }
    before = _event_values(row, stored)
    rows_changed(
        session, delete(ChannelSecret).where(ChannelSecret.site_id == site_id, ChannelSecret.channel == channel)
    )
    session.delete(row)
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=volunteer_id,
        action=CHANNEL_REMOVED_ACTION,
        entity="site",
        entity_id=site_id,
        now=now,
        before=before,
        after=None,
    )


def channel_views(session: Session, *, site_id: int) -> list[ChannelView]:
    """A site's channels as the settings page shows them, by channel."""
    last_fours: dict[str, dict[str, str]] = {}
    for channel, name, last_four in session.execute(
        select(ChannelSecret.channel, ChannelSecret.name, ChannelSecret.last_four).where(
            ChannelSecret.site_id == site_id
        )
    ):
        last_fours.setdefault(channel, {})[name] = last_four
    rows = session.scalars(select(SiteChannel).where(SiteChannel.site_id == site_id).order_by(SiteChannel.channel))
    return [
        ChannelView(
            channel=row.channel,
            enabled=row.enabled,
            settings=dict(row.settings),
            secret_last_fours=last_fours.get(row.channel, {}),
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def channel_for_sending(session: Session, *, site_id: int, channel: str) -> ChannelConfig | None:
    """The channel with its secrets, for the runner; None when the site has it not set up or switched off."""
    row = session.execute(
        select(SiteChannel.enabled, SiteChannel.settings).where(
            SiteChannel.site_id == site_id, SiteChannel.channel == channel
        )
    ).one_or_none()
    if row is None or not row.enabled:
        return None
    secrets = {
        name: value
        for name, value in session.execute(
            select(ChannelSecret.name, ChannelSecret.value).where(
                ChannelSecret.site_id == site_id, ChannelSecret.channel == channel
            )
        )
    }
    return ChannelConfig(site_id=site_id, channel=channel, enabled=True, settings=dict(row.settings), secrets=secrets)


def set_notification(
    session: Session, *, site_id: int, kind: str, enabled: bool, volunteer_id: int | None, now: dt.datetime
) -> None:
    """Switch a kind of message on or off for a site."""
    if kind not in NOTIFICATION_KINDS:
        raise InvalidValue(field="kind", value=kind)
    row = session.get(NotificationSwitch, (site_id, kind))
    before = row.enabled if row is not None else True
    if row is None:
        row = NotificationSwitch(site_id=site_id, kind=kind)
        session.add(row)
    row.enabled = enabled
    row.updated_at = now
    row.updated_by = volunteer_id
    session.flush()
    record_event(
        session,
        site_id=site_id,
        actor_id=volunteer_id,
        action=NOTIFICATION_SWITCHED_ACTION,
        entity="site",
        entity_id=site_id,
        now=now,
        before={"notification": kind, "enabled": before},
        after={"notification": kind, "enabled": enabled},
    )


def notification_switches(session: Session, *, site_id: int) -> dict[str, bool]:
    """Every kind of message → whether the site sends it (on unless switched off)."""
    switched = {
        kind: enabled
        for kind, enabled in session.execute(
            select(NotificationSwitch.kind, NotificationSwitch.enabled).where(NotificationSwitch.site_id == site_id)
        )
    }
    return {kind: switched.get(kind, True) for kind in NOTIFICATION_KINDS}
