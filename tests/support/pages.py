"""Helpers for the page tests: the app under AppTest as a signed-in person, what it shows, messages in Chinese."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from streamlit.testing.v1 import AppTest

from tests.support.app_data import AppData
from tests.support.paths import APP
from ui.i18n import LANGUAGE_STATE_KEY, translate
from ui.pages_registry import ORGANIZER, PUBLIC, VOLUNTEER
from ui.signed_in import AUDIENCE_KEY, SIGNED_IN_KEY


def new_app(data: AppData, *, audience: str = PUBLIC, language: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if language is not None:
        at.session_state[LANGUAGE_STATE_KEY] = language
    if audience != PUBLIC:
        # The matrix acts as a signed-in person directly; the real widgets are tested below.
        at.session_state[SIGNED_IN_KEY] = data.volunteer if audience == VOLUNTEER else data.organizer
        at.session_state[AUDIENCE_KEY] = audience
    return at


def texts(node) -> Iterator[str]:  # an AppTest element tree node of any kind
    """Every piece of text a person can read: bodies, labels, options, placeholders, table headers."""
    for attribute in ("value", "label", "body", "placeholder", "help", "options"):
        try:
            value = getattr(node, attribute, None)
        except Exception:  # some element types compute these lazily and may not have them
            continue
        if isinstance(value, str):
            yield value
        elif isinstance(value, list | tuple):
            yield from (item for item in value if isinstance(item, str))
    if getattr(node, "type", None) == "arrow_data_frame" or type(node).__name__ == "Dataframe":
        yield from (str(column) for column in node.value.columns)
    for child in getattr(node, "children", {}).values():
        yield from texts(child)


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def organizer_on(data: AppData, page: str) -> AppTest:
    at = new_app(data, audience=ORGANIZER).switch_page(f"pages/{page}.py").run()
    assert not at.exception, [element.value for element in at.exception]
    return at


def chart_specs(at: AppTest) -> list[dict]:
    """The Vega-Lite spec of each chart on the page, each checked against the Vega-Lite schema: the app draws its
    charts without that check (ui.charts.draw_chart), so the page tests make it."""
    specs = [json.loads(element.proto.spec) for element in at.get("vega_lite_chart")]
    for spec in specs:
        check_chart_spec(spec)
    return specs


def check_chart_spec(spec: dict) -> None:
    """Raises jsonschema.ValidationError for a spec off the Vega-Lite schema Altair carries."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.schema import load_schema

    validate_jsonschema(spec, load_schema())


class Downloads:
    """The files a page's deferred download buttons make (`st.download_button` given a function), by button key:
    AppTest drops those functions with each run's stand-in runtime, so the `downloads` fixture keeps them."""

    def __init__(self) -> None:
        self.makers: dict[str, Callable[[], Any]] = {}

    def file(self, at: AppTest, key: str) -> bytes:
        """What the button `key` of the latest run hands the browser, made now (as a click would)."""
        button = next(button for button in at.get("download_button") if button.proto.id.endswith(f"-{key}"))
        data = self.makers[button.proto.deferred_file_id]()
        return data.encode() if isinstance(data, str) else bytes(data)
