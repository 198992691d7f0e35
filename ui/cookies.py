"""The browser's cookies for sign-in: read from the request through `st.context.cookies`, written by a tiny
Streamlit component (`st.components.v2`) that sets `document.cookie` — never a token in the URL."""

from __future__ import annotations

import streamlit as st

SESSION_COOKIE = "cb_session"
DEVICE_COOKIE = "cb_device"
# The server decides when a session ends (login_sessions.expires_at); the cookie only has to outlive it.
COOKIE_MAX_AGE = {SESSION_COOKIE: 30 * 24 * 3600, DEVICE_COOKIE: 400 * 24 * 3600}

# Sets each named cookie to the wanted value (or deletes it when the value is empty), only where it differs, so
# mounting it on every run costs nothing. SameSite=Strict: another site's page cannot send our cookies along.
_WRITER_JS = """
export default function (component) {
  const wanted = component.data || {};
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const current = Object.fromEntries(
    document.cookie.split("; ").filter(Boolean).map((pair) => [pair.split("=")[0], pair.slice(pair.indexOf("=") + 1)])
  );
  for (const [name, spec] of Object.entries(wanted)) {
    if (spec.value && current[name] !== spec.value) {
      document.cookie = `${name}=${spec.value}; Path=/; Max-Age=${spec.max_age}; SameSite=Strict${secure}`;
    } else if (!spec.value && name in current) {
      document.cookie = `${name}=; Path=/; Max-Age=0; SameSite=Strict${secure}`;
    }
  }
}
"""
_writer = st.components.v2.component("cloudbasket_cookies", js=_WRITER_JS)


def read_cookie(name: str) -> str | None:
    """The cookie as the browser sent it when this browser session connected (a reload sends it again)."""
    value = st.context.cookies.get(name)
    # Under AppTest the request is a stand-in whose values are not text: no cookie there.
    return value if isinstance(value, str) and value else None


def write_cookies(wanted: dict[str, str | None]) -> None:
    """Make the browser hold exactly these values (None or "" deletes); call once per run, it draws nothing."""
    data = {name: {"value": value or "", "max_age": COOKIE_MAX_AGE[name]} for name, value in wanted.items()}
    _writer(key="cloudbasket_cookies", data=data, height=0)
