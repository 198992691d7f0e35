"""A resident's order status on their phone: pickup code + last four phone digits → where the bag is, until when;
below, the pickup point's hours and rules and what it keeps of residents' personal data."""

import streamlit as st

from db.core.clock import local_today, utc_now
from db.core.errors import FullPhoneNeeded, StoreError, TooManyAttempts
from db.orders.lifecycle import class_hold_days
from db.orders.residents import lookup_order_status
from db.people.opening_hours import upcoming_closed_days, week_hours
from db.people.sites import get_site_rules, list_sites
from ui.guard import allow_public
from ui.i18n import escape_markdown, t
from ui.keyboard import NUMERIC, PHONE, input_hints
from ui.pages_registry import ORGANIZER, PUBLIC
from ui.qr import show_qr
from ui.session import client_address
from ui.store import bookkeeping_scope, read_scope
from ui.switches import choose_site
from ui.views.people.hours import closed_day_lines, week_lines
from ui.views.people.privacy import privacy_statement
from ui.widgets import page_header, show_error

allow_public(PUBLIC, ORGANIZER)
page_header("status")

with read_scope() as session:
    sites = list_sites(session)
# A poster's link or QR may name the pickup point (`/status?site=TS2`); otherwise a district with several asks.
from_url = st.query_params.get("site", "").strip().upper()
site = next((site for site in sites if site.code == from_url), None) or choose_site(sites, key="status_site")

# Set once a much-guessed code asked for the whole phone number: this browser then asks for it from the start.
FULL_PHONE_KEY = "status_wants_full_phone"
# How many answers this browser has been given: each new one is scrolled into view once.
ANSWERS_KEY = "status_answers"

if site is not None:
    st.header(escape_markdown(site.name))
    wants_full_phone = st.session_state.get(FULL_PHONE_KEY, False)
    with st.form("status_lookup"):
        pickup_code = st.text_input(t("status.pickup_code"), max_chars=20, key="status_pickup_code")
        if wants_full_phone:
            phone = st.text_input(t("status.phone"), max_chars=20, key="status_phone")
            phone_tail = ""
        else:
            phone_tail = st.text_input(t("status.phone_tail"), max_chars=4, key="status_phone_tail")
            phone = ""
        asked = st.form_submit_button(t("status.submit"), type="primary", width="stretch", key="status_submit")
    if asked:
        st.session_state[ANSWERS_KEY] = st.session_state.get(ANSWERS_KEY, 0) + 1
    # The phone tail opens the digits keypad, the whole number the phone keypad (the pickup code may hold letters);
    # on a small phone the form fills the screen, so each new answer is brought into view.
    input_hints(
        modes={t("status.phone_tail"): NUMERIC, t("status.phone"): PHONE},
        reveal="status_answer" if asked else None,
        token=st.session_state.get(ANSWERS_KEY, 0),
    )
    if asked:
        with st.container(key="status_answer"):
            try:
                with bookkeeping_scope() as session:
                    status = lookup_order_status(
                        session,
                        site_id=site.id,
                        pickup_code=pickup_code,
                        phone_tail=phone_tail,
                        phone=phone,
                        client=client_address(),
                        now=utc_now(),
                    )
            except TooManyAttempts as error:
                # When to try again (the site's clock), and that the desk finds the order by its code meanwhile.
                st.error(t("status.throttled", until=error.params["until"]))
            except FullPhoneNeeded as error:
                st.session_state[FULL_PHONE_KEY] = True
                show_error(error)
                st.button(t("status.enter_full_phone"), type="primary", key="status_full_phone_go")
            except StoreError as error:
                show_error(error)
            else:
                if status is None:
                    # The same words for a wrong code and a wrong phone: a code cannot be confirmed on its own.
                    st.warning(t("status.not_found"))
                elif status.overdue:
                    # Past its collect-by day: the desk decides (returned after the hold days, or kept a little).
                    st.warning(t("status.state.overdue", date=f"{status.collect_by:%Y-%m-%d}", days=status.hold_days))
                elif status.state == "not_arrived":
                    st.info(t("status.state.not_arrived"))
                elif status.state == "ready":
                    st.success(t("status.state.ready", slot=status.slot or "", since=status.since))
                elif status.state == "picked_up":
                    st.success(t("status.state.picked_up", at=status.since))
                elif status.state == "returned":
                    st.warning(t("status.state.returned", at=status.since))
                else:
                    st.warning(t("status.state.ask_desk"))
                # The collect-by day and the QR come only while the bag waits (the store's WAITING_STATES).
                if status is not None and status.qr_payload is not None:
                    if not status.overdue:
                        st.markdown(t("status.collect_by", date=f"{status.collect_by:%Y-%m-%d}"))
                    show_qr(status.qr_payload, caption=t("status.qr_caption", code=status.pickup_code))

    with read_scope() as session:
        rules = get_site_rules(session, site_id=site.id)
        week = week_hours(session, site_id=site.id)
        closed_days = upcoming_closed_days(session, site_id=site.id, today=local_today(utc_now()))
    # The week's hours and the closed dates of the next 30 days: plain text (a closed date's note is people's data).
    st.caption(t("status.hours_head"))
    st.text("\n".join(week_lines(week)))
    if closed_days:
        st.caption(t("status.closed_days_head"))
        st.text("\n".join(closed_day_lines(closed_days)))
    holds = class_hold_days(rules)
    if len(set(holds.values())) == 1:
        st.caption(t("status.hold", days=rules.hold_days))
    else:
        st.caption(t("status.hold_by_class", **holds))
    if rules.rules_text:
        with st.expander(t("status.rules")):
            # The committee's own words, as typed: plain text, nothing read as Markdown.
            st.text(rules.rules_text)
    privacy_statement(rules)
