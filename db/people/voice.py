"""The voice at the counter, per counter tablet: on, off, or as 长辈模式 says (the default), and its volume.

Only an enrolled tablet that is not revoked has these settings; a change writes an event (`device.voice_changed`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.core.engine import rows_changed
from db.core.errors import InvalidValue, NotFound
from db.core.events import record_event
from db.core.models import Device

VOLUME_MIN = 0
VOLUME_MAX = 100


@dataclass(frozen=True)
class VoiceSettings:
    """A tablet's voice: `on` is None while nobody chose (then elder mode decides), `volume` from 0 to 100."""

    on: bool | None
    volume: int

    def speaks(self, *, elder_mode: bool) -> bool:
        """Whether the tablet speaks and plays its tones: as chosen, else on in elder mode and off otherwise; a
        volume of 0 is silence."""
        chosen = elder_mode if self.on is None else self.on
        return chosen and self.volume > VOLUME_MIN


def get_voice_settings(session: Session, *, device_id: int) -> VoiceSettings:
    """The tablet's voice settings; NotFound for a remembered browser or a removed tablet (no tablet settings)."""
    row = session.execute(
        select(Device.voice_on, Device.voice_volume).where(
            Device.id == device_id, Device.kind == "tablet", Device.revoked_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("error.device_not_found")
    return VoiceSettings(on=row.voice_on, volume=row.voice_volume)


def set_voice_settings(
    session: Session,
    *,
    site_id: int,
    device_id: int,
    on: bool | None,
    volume: int,
    actor_id: int | None,
    now: dt.datetime,
) -> VoiceSettings:
    """Switch the tablet's voice on or off (None: back to what elder mode says) and set its volume; an event says
    what changed (nothing is written when nothing did). Returns the settings now."""
    if isinstance(volume, bool) or not isinstance(volume, int) or not VOLUME_MIN <= volume <= VOLUME_MAX:
        raise InvalidValue("error.voice_volume_range", low=VOLUME_MIN, high=VOLUME_MAX)
    row = session.execute(
        select(Device.voice_on, Device.voice_volume).where(
            Device.id == device_id, Device.site_id == site_id, Device.kind == "tablet", Device.revoked_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("error.device_not_found")
    wanted = VoiceSettings(on=on, volume=volume)
    if wanted == VoiceSettings(on=row.voice_on, volume=row.voice_volume):
        return wanted
    # Removed meanwhile (an organizer on the tablets page): nothing to set.
    changed = rows_changed(
        session,
        update(Device)
        .where(Device.id == device_id, Device.revoked_at.is_(None))
        .values(voice_on=on, voice_volume=volume),
    )
    if changed != 1:
        raise NotFound("error.device_not_found")
    record_event(
        session,
        site_id=site_id,
        actor_id=actor_id,
        action="device.voice_changed",
        entity="device",
        entity_id=device_id,
        now=now,
        before={"voice_on": row.voice_on, "voice_volume": row.voice_volume},
        after={"voice_on": on, "voice_volume": volume},
    )
    return wanted
