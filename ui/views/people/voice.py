"""The counter tablet's voice, in the desk's sidebar: on or off, the volume and "test the voice" (kept per tablet
by db/people/voice.py; on by default in 长辈模式), and the player that speaks the desk's announcements."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from db.core.clock import utc_now
from db.people.voice import VOLUME_MAX, VOLUME_MIN, VoiceSettings, get_voice_settings, set_voice_settings
from ui.actions import run_change
from ui.elder import elder_mode_on
from ui.i18n import t
from ui.session import current_device
from ui.signed_in import current_user
from ui.store import bookkeeping_scope, read_scope
from ui.voice import SUCCESS, announce, voice_player

# The tablet's settings as last read or set: (device id, VoiceSettings), read again when the tablet changes.
SETTINGS_KEY = "voice_settings"
ON_KEY = "voice_on"
VOLUME_KEY = "voice_volume"
VOLUMES = list(range(VOLUME_MIN, VOLUME_MAX + 1, 10))


@dataclass(frozen=True)
class CounterVoice:
    """Whether this run's announcements are heard, and how loud; `place` is where the player goes (the sidebar)."""

    on: bool
    volume: int
    place: DeltaGenerator


def _settings(device_id: int) -> VoiceSettings:
    kept = st.session_state.get(SETTINGS_KEY)
    if kept is None or kept[0] != device_id:
        with read_scope() as session:
            kept = (device_id, get_voice_settings(session, device_id=device_id))
        st.session_state[SETTINGS_KEY] = kept
    settings: VoiceSettings = kept[1]
    return settings


def _save(device_id: int, site_id: int, *, on: bool | None, volume: int) -> None:
    user = current_user()
    change = partial(
        set_voice_settings,
        site_id=site_id,
        device_id=device_id,
        on=on,
        volume=volume,
        actor_id=user.volunteer_id if user else None,
        now=utc_now(),
    )
    run_change(
        change,
        scope=bookkeeping_scope,
        then=lambda settings: st.session_state.__setitem__(SETTINGS_KEY, (device_id, settings)),
        rerun=False,
    )


def voice_settings() -> CounterVoice | None:
    """In the sidebar of the counter tablet (None elsewhere: a laptop at the desk stays silent): the switch, the
    volume and the test. The switch shows what applies now (chosen, else elder mode); a change is kept for the
    tablet."""
    device = current_device()
    if device is None or device.kind != "tablet":
        return None
    settings = _settings(device.id)
    on = settings.speaks(elder_mode=elder_mode_on())
    with st.sidebar:
        st.divider()
        # Seeded from the store each run: elder mode (and so the default) follows who signs in.
        st.session_state[ON_KEY] = settings.on if settings.on is not None else elder_mode_on()
        st.session_state[VOLUME_KEY] = settings.volume
        st.toggle(
            t("voice.on"),
            key=ON_KEY,
            on_change=lambda: _save(
                device.id, device.site_id, on=bool(st.session_state[ON_KEY]), volume=settings.volume
            ),
        )
        # What is said, in words rather than a tooltip (an 18 px target, left out in elder mode).
        st.caption(t("voice.on_help"))
        # A list, not a slider: its box is a large target in elder mode, a slider's thumb is not.
        st.selectbox(
            t("voice.volume"),
            VOLUMES if settings.volume in VOLUMES else sorted({*VOLUMES, settings.volume}),
            format_func=lambda volume: f"{volume} %",
            key=VOLUME_KEY,
            on_change=lambda: _save(
                device.id, device.site_id, on=settings.on, volume=int(st.session_state[VOLUME_KEY])
            ),
        )
        st.button(
            t("voice.test"),
            key="voice_test",
            icon=":material/volume_up:",
            width="stretch",
            disabled=not on,
            on_click=lambda: announce(
                tone=SUCCESS, words=t("voice.found", storage_class=t("value.kind.chilled"), slot="F1-01").plain
            ),
        )
        place = st.container()
    return CounterVoice(on=on, volume=settings.volume, place=place)


def counter_voice(voice: CounterVoice | None) -> None:
    """Last in the run, after the announcements: the player (its note on a missing voice under the settings)."""
    if voice is None:
        return
    with voice.place:
        voice_player(on=voice.on, volume=voice.volume)
