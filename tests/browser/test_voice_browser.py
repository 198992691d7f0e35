"""In Chromium on the counter tablet: the voice at the desk (ui/voice.py). Headless Chromium has no voices and no
sound, so `speechSynthesis` and `AudioContext` are stubs (`add_init_script`) that log what the page asks of them:
per case the words, their language and volume, a cancel before every new one, nothing where nothing should be
heard, and the page's words when `getVoices()` has no voice for the language (here: Chinese only).

Screenshots of the desk with its sidebar at 1024x768 and 390x844 in each language go to the folder
CLOUD_BASKET_SCREENSHOTS names, when it is set; CI takes none."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re

from db.core.clock import local_today, utc_now
from tests.support.app_data import CODE, RESIDENT_PHONE, AppData, add_bag, receive
from tests.support.browser import IDLE_APP, sign_in_on_tablet, zh
from tests.support.markdown_payloads import unescaped
from ui.i18n import LANGUAGE_NAMES, translate

# The stubs log {op: "cancel"}, {op: "speak", text, lang, volume, voice} and {op: "tone", type, frequency}.
STUBS = """
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


def en(key: str, **params: object) -> str:
    return unescaped(translate("en", key, **params))


def heard(page, *, expect: bool = True) -> list[tuple[object, ...]]:  # a playwright Page
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


def search(page, text: str) -> None:  # a playwright Page
    """As the scanner does: keys and Enter into the box that has the cursor, whatever the last step left there."""
    page.get_by_label(zh("desk.search")).click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def screenshots(page, name: str) -> None:  # a playwright Page
    wanted = os.environ.get("CLOUD_BASKET_SCREENSHOTS")
    if not wanted:
        return
    shots = pathlib.Path(wanted)
    shots.mkdir(parents=True, exist_ok=True)
    for width, height in ((1024, 768), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.locator(IDLE_APP).wait_for()
        page.screenshot(path=str(shots / f"{name}_{width}x{height}.png"), full_page=True)
    page.set_viewport_size({"width": 1024, "height": 768})


def test_the_desk_says_slot_class_and_count_once_each_and_says_why_there_is_no_voice(
    page, app_server: str, app_database_copy: AppData
):
    slot = receive(app_database_copy)
    # The same resident's two more bags: a household, found by the phone's last four digits.
    for code in ("8-124", "8-125"):
        add_bag(app_database_copy, code=code, phone=RESIDENT_PHONE, name="赵女士", delivered=dt_today())
    page.add_init_script(STUBS)
    sign_in_on_tablet(page, app_server)
    sidebar = page.locator('[data-testid="stSidebar"]')

    # Elder mode is off, so the voice is too: a find is silent.
    search(page, CODE)
    page.get_by_role("heading", name=zh("desk.slot", slot=slot)).wait_for()
    assert heard(page, expect=False) == []
    assert sidebar.get_by_role("button", name=zh("voice.test")).is_disabled()
    # Switched on: the rerun it starts shows the same bag, and says nothing again.
    sidebar.get_by_text(zh("voice.on"), exact=True).click()
    sidebar.get_by_role("button", name=zh("voice.test")).and_(page.locator(":enabled")).wait_for()
    assert heard(page, expect=False) == []
    sidebar.get_by_role("button", name=zh("voice.test")).click()
    assert heard(page) == [("cancel",), ("tone", "success"), ("speak", "冷藏，F1-01", "zh-CN")]

    search(page, CODE)
    assert heard(page) == [("cancel",), ("tone", "success"), ("speak", f"冷藏，{slot}", "zh-CN")]
    page.get_by_role("button", name=zh("desk.hand_over")).click()
    page.get_by_role("button", name=zh("desk.confirm_self")).click()
    page.get_by_role("button", name=zh("desk.undo")).wait_for()
    assert heard(page) == [("cancel",), ("tone", "success"), ("speak", "共一袋，已交", "zh-CN")]
    search(page, CODE)  # handed over: nothing waits, the other tone and no words
    page.get_by_text(zh("desk.nothing_found", text=CODE)).wait_for()
    assert heard(page) == [("cancel",), ("tone", "alert")]

    search(page, RESIDENT_PHONE[-4:])
    said = heard(page)
    assert said[:2] == [("cancel",), ("tone", "success")] and len(said) == 3
    assert re.fullmatch(r"两袋：S1-\d\d、S1-\d\d", str(said[2][1])), said  # never the name or the phone
    assert page.get_by_text(zh("voice.no_voice")).count() == 0
    screenshots(page, "voice_desk_zh-CN")

    # English: the stub has no English voice. The language's rerun says nothing; the page says why there is no
    # voice, and the test plays its tone without words.
    sidebar.get_by_text(LANGUAGE_NAMES["en"], exact=True).click()
    sidebar.get_by_text(en("voice.no_voice")).wait_for()
    assert heard(page, expect=False) == []
    sidebar.get_by_role("button", name=en("voice.test")).click()
    assert heard(page) == [("cancel",), ("tone", "success")]
    screenshots(page, "voice_desk_en")
    assert page.locator('[data-testid="stException"]').count() == 0


def dt_today() -> dt.date:  # the bags were delivered today, like the test order
    return local_today(utc_now())
