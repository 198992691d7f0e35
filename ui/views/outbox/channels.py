"""The channel settings' parts: the staff group's WeCom robot and the SMS provider (a secret is never shown again:
its last four characters say which one is stored, a blank box keeps it), the kinds of message switched on or off,
and the text of each kind in the site's language (pages/channels.py lays them out)."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from db.core.clock import utc_now
from db.core.errors import StoreError
from db.outbox.channels import (
    CHANNEL_SECRETS,
    KIND_CHANNELS,
    NOTIFICATION_KINDS,
    SMS_PROVIDERS,
    ChannelView,
    remove_channel,
    set_channel,
    set_notification,
)
from db.people.login_sessions import SignedIn
from ui.actions import forget, run_change
from ui.i18n import load_catalog, t
from ui.widgets import confirmed_button, show_error

# Each secret's box: its label, and whether it is a URL (the robot's webhook) or a key.
SECRET_LABELS = {
    "webhook_url": "channels.webhook_url",
    "access_key_id": "channels.access_key_id",
    "access_key_secret": "channels.access_key_secret",
}
# A placeholder with a time format: `{starts_at:%m月%d日 %H:%M}`.
TIME_FORMAT = re.compile(r"\{(\w+):[^{}]*%[^{}]*\}")
# The boxes a refusal may name (the store's InvalidValue `field`), in the reader's words.
FIELD_LABELS = {
    **SECRET_LABELS,
    "sign_name": "channels.sign_name",
    "template_codes": "channels.template_codes",
    "provider": "channels.provider",
}


def stored_secret_hint(view: ChannelView | None, name: str) -> str:
    """What a secret's box says when empty: the stored one's last four characters (typing replaces it, an empty box
    keeps it), or that none is stored."""
    last_four = (view.secret_last_fours if view is not None else {}).get(name)
    if last_four:
        return t("channels.secret_stored", last_four=last_four).plain
    return t("channels.secret_none").plain


def secret_box(view: ChannelView | None, name: str, *, channel: str) -> str:
    """A password box that starts empty whatever is stored: the page never holds a stored secret."""
    return st.text_input(
        t(SECRET_LABELS[name]),
        value="",
        type="password",
        placeholder=stored_secret_hint(view, name),
        help=t("channels.secret_help"),
        autocomplete="off",
        key=secret_key(channel, name),
    )


def secret_key(channel: str, name: str) -> str:
    return f"channels_{channel}_{name}"


def forget_secrets(channel: str) -> None:
    """Once a form is submitted, what was typed into its secret boxes leaves the session (the browser empties the
    boxes itself: clear_on_submit), saved or refused: the server keeps a secret only in the store."""
    forget(*(secret_key(channel, name) for name in CHANNEL_SECRETS[channel]))


def refused_with_field(error: StoreError) -> None:
    """A refusal of the channel forms, naming the box it is about when the store says which."""
    field = error.params.get("field")
    if field in FIELD_LABELS:
        st.error(t("channels.invalid_field", field=t(FIELD_LABELS[field])))
        return
    show_error(error)


def robot_form(user: SignedIn, view: ChannelView | None) -> None:
    """The staff group's WeCom robot: its webhook URL (with the key in it: a secret) and whether it sends."""
    st.header(t("channels.robot_heading"))
    st.caption(t("channels.robot_help"))
    _state_caption(view)
    with st.form("channels_wecom", clear_on_submit=True):
        enabled = st.toggle(
            t("channels.enabled"), value=view.enabled if view is not None else True, key="channels_wecom_enabled"
        )
        webhook_url = secret_box(view, "webhook_url", channel="wecom")
        saved = st.form_submit_button(t("channels.save_robot"), type="primary", key="channels_wecom_save")
    if saved:
        forget_secrets("wecom")
        change = partial(
            set_channel,
            site_id=user.site_id,
            channel="wecom",
            enabled=enabled,
            settings={},
            secrets={"webhook_url": webhook_url or None},
            volunteer_id=user.volunteer_id,
            now=utc_now(),
        )
        run_change(change, done_key="channels.saved", refused=refused_with_field)
    if view is not None:
        _remove_button(user, "wecom")


def sms_form(user: SignedIn, view: ChannelView | None) -> None:
    """The SMS provider: which one, its access keys (secrets), the signature and a template code per kind of
    message sent by SMS, as the provider approved them."""
    st.header(t("channels.sms_heading"))
    st.caption(t("channels.sms_help"))
    _state_caption(view)
    settings: dict[str, Any] = view.settings if view is not None else {}
    codes: dict[str, str] = settings.get("template_codes") or {}
    with st.form("channels_sms", clear_on_submit=True):
        enabled = st.toggle(
            t("channels.enabled"), value=view.enabled if view is not None else True, key="channels_sms_enabled"
        )
        provider_words = {code: t(f"value.sms_provider.{code}").plain for code in SMS_PROVIDERS}
        provider = st.selectbox(
            t("channels.provider"),
            SMS_PROVIDERS,
            index=SMS_PROVIDERS.index(settings["provider"]) if settings.get("provider") in SMS_PROVIDERS else 0,
            format_func=provider_words.__getitem__,
            key="channels_sms_provider",
        )
        key_id_column, key_secret_column = st.columns(2)
        with key_id_column:
            access_key_id = secret_box(view, "access_key_id", channel="sms")
        with key_secret_column:
            access_key_secret = secret_box(view, "access_key_secret", channel="sms")
        sign_name = st.text_input(
            t("channels.sign_name"), value=settings.get("sign_name", ""), max_chars=40, key="channels_sms_sign_name"
        )
        st.markdown(f"**{t('channels.template_codes')}**")
        typed_codes = {
            kind: st.text_input(
                t(f"value.message_kind.{kind}"),
                value=codes.get(kind, ""),
                max_chars=40,
                key=f"channels_sms_code_{kind}",
            )
            for kind in NOTIFICATION_KINDS
            if KIND_CHANNELS[kind] == "sms"
        }
        saved = st.form_submit_button(t("channels.save_sms"), type="primary", key="channels_sms_save")
    if saved:
        forget_secrets("sms")
        change = partial(
            set_channel,
            site_id=user.site_id,
            channel="sms",
            enabled=enabled,
            settings={"provider": provider, "sign_name": sign_name, "template_codes": typed_codes},
            secrets={"access_key_id": access_key_id or None, "access_key_secret": access_key_secret or None},
            volunteer_id=user.volunteer_id,
            now=utc_now(),
        )
        run_change(change, done_key="channels.saved", refused=refused_with_field)
    if view is not None:
        _remove_button(user, "sms")


def _state_caption(view: ChannelView | None) -> None:
    if view is None:
        st.info(t("channels.not_set_up"))
    else:
        key = "channels.state_on" if view.enabled else "channels.state_off"
        st.caption(t(key, at=view.updated_at))


def _remove_button(user: SignedIn, channel: str) -> None:
    """Remove the channel and its secrets, asked once more."""
    channel_name = t(f"value.channel.{channel}")
    if confirmed_button(
        t("channels.remove", channel=channel_name),
        key=f"channels_{channel}_remove",
        question=t("channels.remove_question", channel=channel_name),
    ):
        change = partial(
            remove_channel, site_id=user.site_id, channel=channel, volunteer_id=user.volunteer_id, now=utc_now()
        )
        run_change(change, done_key="channels.removed", channel=channel_name)


def switches_form(user: SignedIn, switches: dict[str, bool], *, set_up: set[str]) -> None:
    """A switch per kind of message, each saying its channel (and when that channel is not set up, that nothing of
    that kind goes out); only the switches changed are saved, in one change."""
    st.header(t("channels.switches_heading"))
    st.caption(t("channels.switches_help"))
    with st.form("channels_switches"):
        wanted = {}
        for kind in NOTIFICATION_KINDS:
            channel = KIND_CHANNELS[kind]
            help_key = "channels.switch_help" if channel in set_up else "channels.switch_help_no_channel"
            wanted[kind] = st.toggle(
                t(f"value.message_kind.{kind}"),
                value=switches.get(kind, True),
                help=t(help_key, channel=t(f"value.channel.{channel}")),
                key=f"channels_switch_{kind}",
            )
        saved = st.form_submit_button(t("channels.save_switches"), key="channels_switches_save")
    if saved:
        changed = {kind: enabled for kind, enabled in wanted.items() if enabled != switches.get(kind, True)}
        if not changed:
            st.info(t("channels.switches_unchanged"))
            return
        run_change(
            partial(_switch, site_id=user.site_id, changed=changed, volunteer_id=user.volunteer_id),
            done_key="channels.switches_saved",
            result_as="count",
        )


def _switch(session: Session, *, site_id: int, changed: dict[str, bool], volunteer_id: int) -> int:
    now = utc_now()
    for kind, enabled in changed.items():
        set_notification(session, site_id=site_id, kind=kind, enabled=enabled, volunteer_id=volunteer_id, now=now)
    return len(changed)


def templates(language: str) -> None:
    """Each kind's text as the app writes it in the site's language, its {placeholders} as the app fills them: the
    first version is fixed text in the catalogs (an SMS goes out as the provider's approved template)."""
    st.header(t("channels.templates_heading"))
    st.caption(t("channels.templates_help", site_language=t(f"value.language.{language}")))
    catalog = load_catalog(language)
    for kind in NOTIFICATION_KINDS:
        texts = template_texts(catalog, kind)
        with st.expander(t(f"value.message_kind.{kind}")):
            if texts:
                # The template as the app fills it: its {placeholders} and, for the robot, its Markdown shown
                # literally, as source (a code block), in the pickup point's language whatever the reader's.
                st.code("\n\n".join(texts), language=None, wrap_lines=True)
            else:
                st.caption(t("channels.template_missing"))


def template_texts(catalog: dict[str, str], kind: str) -> list[str]:
    """The catalog's `message.<kind>` text and its parts (`message.<kind>.<part>`: a plural form, a line), in key
    order; a moment's format (`{starts_at:%H:%M}`) shown as its name alone (`{starts_at}`)."""
    prefix = f"message.{kind}"
    return [
        TIME_FORMAT.sub(r"{\1}", text)
        for key, text in sorted(catalog.items())
        if key == prefix or key.startswith(f"{prefix}.")
    ]
