"""The voice at the counter: a short tone and a few spoken words after a find or a handover, so a volunteer who
looks at the resident and the shelf hears where the bag is. Only a slot, a storage class and a number of bags are
ever said, never a name or a phone number (residents stand at the counter).

A screen says what is to be heard with `announce` (in a widget callback or in its run); `voice_player`, mounted once
per run, plays the latest announcement once. It is one small `st.components.v2` component (the mechanism of
ui/keyboard.py and ui/cookies.py): speech through `speechSynthesis`, tones through WebAudio; it draws only the
words that say why there is no voice, when the browser has none for the language."""

from __future__ import annotations

import streamlit as st

from ui.i18n import current_language, t

# The tones: one for success (a bag found, handed over, the test), another for nothing found, not ready, a refusal.
SUCCESS = "success"
ALERT = "alert"
# The last announcement: {"id": n, "words": "...", "tone": SUCCESS | ALERT}; each new one gets the next id.
SAY_KEY = "voice_say"
# The language the browser's voice speaks for each of the app's languages.
SPEECH_LANGUAGES = {"zh-CN": "zh-CN", "en": "en-US"}
_ZH_DIGITS = "零一二三四五六七八九"

# How the sound starts: browsers make sound only after a user gesture on the page. This component runs in the
# page's own frame (a v2 component is no iframe), so its capture listeners on the page's document see the scanner's
# Enter and the volunteer's tap themselves, and resume the AudioContext inside that very keydown or pointerdown;
# the same key or tap gives the page its user activation, which `speechSynthesis.speak` needs, so the words the run
# answering that key brings are spoken. The announcement's id is remembered in the page, so a later run (a toggle,
# a page switch and back) never says it again; every new one cancels a running utterance first: no voice over
# another. Where `getVoices()` has none for the language, the tones still play and the note says why.
_PLAYER_JS = """
export default function (component) {
  const spec = component.data || {};
  const note = component.parentElement.querySelector(".voice-note");
  const state = (window.__cloudbasketVoice ||= { said: null, audio: null, listening: false, refresh: null });
  const synth = window.speechSynthesis || null;
  const audio = () => {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!state.audio && Context) state.audio = new Context();
    return state.audio;
  };
  if (!state.listening) {
    state.listening = true;
    const unlock = () => {
      if (!(state.spec && state.spec.on)) return;
      const context = audio();
      if (context && context.state === "suspended") context.resume();
    };
    document.addEventListener("keydown", unlock, true);
    document.addEventListener("pointerdown", unlock, true);
    const refresh = () => state.refresh && state.refresh();
    if (synth && synth.addEventListener) synth.addEventListener("voiceschanged", refresh);
  }
  state.spec = spec;
  const voiceFor = (lang) => {
    const wanted = lang.toLowerCase().split("-")[0];
    const voices = synth ? synth.getVoices() : [];
    return voices.find((voice) => voice.lang.toLowerCase().replace("_", "-") === lang.toLowerCase())
      || voices.find((voice) => voice.lang.toLowerCase().split(/[-_]/)[0] === wanted) || null;
  };
  const showNote = () => {
    const missing = Boolean(spec.on) && !voiceFor(spec.lang);
    note.textContent = missing ? spec.no_voice : "";
    note.hidden = !missing;
  };
  state.refresh = showNote;
  showNote();
  const tone = (kind) => {
    const context = audio();
    if (!context || !kind) return;
    if (context.state === "suspended") context.resume();
    // Success rises (two soft sine notes); nothing found, not ready or refused falls (two low square notes).
    const notes = kind === "success" ? [[660, 0], [880, 0.12]] : [[330, 0], [220, 0.16]];
    const peak = Math.max(0.0002, 0.4 * spec.volume / 100);
    for (const [frequency, delay] of notes) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = kind === "success" ? "sine" : "square";
      oscillator.frequency.value = frequency;
      const start = context.currentTime + delay;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(peak, start + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.14);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.15);
    }
  };
  const say = spec.say;
  if (!say || say.id === state.said) return;
  state.said = say.id;
  if (!spec.on) return;
  if (synth) synth.cancel();
  tone(say.tone);
  const voice = say.words ? voiceFor(spec.lang) : null;
  if (!synth || !voice) return;
  const utterance = new SpeechSynthesisUtterance(say.words);
  utterance.lang = spec.lang;
  utterance.voice = voice;
  utterance.volume = spec.volume / 100;
  synth.speak(utterance);
}
"""
# The note inherits the page's font and colour (elder mode's size too); a hidden note takes no room.
_PLAYER_HTML = """<style>.voice-note { margin: 0; line-height: 1.4; } .voice-note[hidden] { display: none; }</style>
<p class="voice-note" role="status" hidden></p>"""
_player = st.components.v2.component("cloudbasket_voice", html=_PLAYER_HTML, js=_PLAYER_JS)


def announce(*, tone: str, words: str = "") -> None:
    """What the tablet says next: a tone, and plain words (a catalog message's `.plain`: slot, class, count only)."""
    previous = st.session_state.get(SAY_KEY)
    st.session_state[SAY_KEY] = {"id": previous["id"] + 1 if previous else 1, "words": words, "tone": tone}


def spoken_number(count: int) -> str:
    """A number of bags as the voice should say it: 两 (not 二) and 十三 in Chinese, digits in English."""
    if current_language() != "zh-CN" or not 0 < count < 100:
        return str(count)
    if count == 2:
        return "两"
    tens, ones = divmod(count, 10)
    if tens == 0:
        return _ZH_DIGITS[ones]
    return ("" if tens == 1 else _ZH_DIGITS[tens]) + "十" + (_ZH_DIGITS[ones] if ones else "")


def voice_player(*, on: bool, volume: int) -> None:
    """Once per run, after the announcements of the run: plays the latest one once (nothing when `on` is False)
    and, when on, says where the browser has no voice for the language."""
    data = {
        "on": on,
        "volume": volume,
        "lang": SPEECH_LANGUAGES[current_language()],
        "no_voice": t("voice.no_voice").plain,
        "say": st.session_state.get(SAY_KEY),
    }
    _player(key="cloudbasket_voice", data=data, height="content")
