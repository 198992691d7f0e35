"""The desk: find a resident's bag by pickup code, phone tail, name or QR (a handheld scanner types the code and
Enter into the search box, which has the cursor), hand it over — a household's bags at once — and undo a mistake."""

import streamlit as st

from db.core.clock import utc_now
from db.core.models import SLOTTED_ORDER_STATUSES
from db.orders.calls import last_contacts
from db.orders.lifecycle import class_hold_days, count_orders_by_status, find_orders
from db.people.sites import get_site_rules
from ui.guard import require_role
from ui.i18n import t
from ui.kpis import kpi_strip
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.views.cold_chain.due_readings import due_readings_notice
from ui.views.orders.desk import last_handover, pending_handover, results, scan_hints, search_box
from ui.views.people.voice import counter_voice, voice_settings
from ui.widgets import page_header

user = require_role(VOLUNTEER, ORGANIZER)
page_header("desk")
# On the counter tablet, in the sidebar: the voice on or off, its volume, a test.
voice = voice_settings()

with read_scope() as session:
    hold_days = class_hold_days(get_site_rules(session, site_id=user.site_id))

query = search_box()
# The confirm step stands in place of the results and the day's figures.
confirming = pending_handover(user)
if query and not confirming:
    with read_scope() as session:
        found = find_orders(session, site_id=user.site_id, text=query, now=utc_now(), hold_days=hold_days)
        # Whether the resident was told (a notice in the group, a call): only read when something was found.
        contacts = last_contacts(session, order_ids=[bag.id for bag in found])
    results(user, found, query=query, contacts=contacts)
# The last handover and its undo under the bag just found: an overdue bag's warning and button come first.
last_handover(user)

# Readings due and the day's figures below the search: on the landscape tablet the search box, the bag found and
# its handover must be in sight without scrolling.
if not confirming:
    due_readings_notice(site_id=user.site_id)
    with read_scope() as session:
        counts = count_orders_by_status(session, site_id=user.site_id, statuses=SLOTTED_ORDER_STATUSES)
    st.metric(t("desk.waiting"), sum(counts.get(status, 0) for status in SLOTTED_ORDER_STATUSES))
    kpi_strip(user.site_id)
scan_hints()
# What this run found or handed over, said aloud on the tablet (slot, class, count: never a name or a phone).
counter_voice(voice)
