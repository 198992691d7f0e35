"""Stand-ins for the browser's speech and sound, for the voice at the counter (ui/voice.py): headless Chromium has
no voices and no sound, so `speechSynthesis` and `AudioContext` are replaced (`page.add_init_script(SPEECH_STUBS)`)
by stubs that log what the page asks of them, read back with `heard`. The stub has a Chinese voice only, so in
English the page must say why there is no voice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.browser import IDLE_APP

if TYPE_CHECKING:  # for the annotations: playwright may be missing where browser_missing() says so
    from playwright.sync_api import Page

# The stubs log {op: "cancel"}, {op: "speak", text, lang, volume, voice} and {op: "tone", type, frequency}.
SPEECH_STUBS = """
(() => {
  const log = (window.__voiceLog = []);
  const voices = [{ lang: "zh-CN", name: "Tingting", localService: true, default: true }];
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.lang = ""; this.volume = 1; this.voice = null; }
  };
  const synth = {
    speaking: false, pending: false, paused: false,
    getVoices: () => voices,
    speak: (u) => log.push({ op: "speak", text: u.text, lang: u.lang, volume: u.volume, voice: u.voice?.name }),
    cancel: () => log.push({ op: "cancel" }),
    addEventListener() {}, removeEventListener() {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  const param = () => ({ value: 0, setValueAtTime() {}, exponentialRampToValueAtTime() {} });
  window.AudioContext = class {
    constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
    resume() { return Promise.resolve(); }
    createGain() { return { gain: param(), connect: (next) => next }; }
    createOscillator() {
      const oscillator = {
        type: "sine", frequency: param(), connect: (next) => next, stop() {},
        start() { log.push({ op: "tone", type: oscillator.type, frequency: oscillator.frequency.value }); },
      };
      return oscillator;
    }
  };
})();
"""
TONES = {"sine": "success", "square": "alert"}


def heard(page: Page, *, expect: bool = True) -> list[tuple[object, ...]]:
    """What the page asked of the speech and sound stubs since the last look, one entry per cancel, tone (its two
    notes as one) and utterance. `expect`: wait for the tone every announcement has; else after the run, nothing."""
    if expect:
        page.wait_for_function("window.__voiceLog.some((entry) => entry.op === 'tone')")
    page.locator(IDLE_APP).wait_for()
    said: list[tuple[object, ...]] = []
    for entry in page.evaluate("window.__voiceLog.splice(0)"):
        if entry["op"] == "speak":
            assert entry["voice"] == "Tingting" and entry["volume"] == 0.8, entry
            said.append(("speak", entry["text"], entry["lang"]))
        elif entry["op"] == "tone":
            if said[-1:] != [("tone", TONES[entry["type"]])]:
                said.append(("tone", TONES[entry["type"]]))
        else:
            said.append(("cancel",))
    return said
