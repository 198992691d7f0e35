"""Residents' notices: today's arrivals and the overdue reminder, as text for a building's group chat, copied with
one tap; each copy is recorded on the bags it named."""

import streamlit as st

from db.core.clock import local_today, utc_now
from db.orders.calls import last_contacts
from db.orders.notices import NOTICE_KINDS, arrivals_notice, overdue_notice
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import STAFF
from ui.store import read_scope
from ui.views.orders.notices import show_notice
from ui.widgets import page_header

user = require_role(*STAFF)
page_header("notices")
now = utc_now()

labels = {kind: t(f"value.notice.{kind}").plain for kind in NOTICE_KINDS}
kind = st.radio(t("notices.which"), NOTICE_KINDS, format_func=labels.__getitem__, horizontal=True, key="notices_kind")
with read_scope() as session:
    if kind == "arrivals":
        # Today's delivery: what the building's group hears about the morning it arrives.
        notice = arrivals_notice(session, site_id=user.site_id, day=local_today(now))
    else:
        notice = overdue_notice(session, site_id=user.site_id, now=now)
    contacts = last_contacts(session, order_ids=notice.order_ids)
told = {order_id: contact.told.kind for order_id, contact in contacts.items() if contact.told is not None}
show_notice(user, notice, told=told)
