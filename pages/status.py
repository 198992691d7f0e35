"""A resident's order status: pickup code and the last four digits of the phone; the point's hours."""

import streamlit as st

from db.sites import get_site_rules, list_sites
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER, PUBLIC
from ui.store import read_scope
from ui.widgets import choose_site, page_header

require_role(PUBLIC, ORGANIZER)
page_header("status")

with read_scope() as session:
    sites = list_sites(session)
site = choose_site(sites, key="status_site")
if site is not None:
    with read_scope() as session:
        rules = get_site_rules(session, site_id=site.id)
    st.subheader(site.name)
    st.markdown(t("status.hours", opens=f"{rules.opens_at:%H:%M}", closes=f"{rules.closes_at:%H:%M}"))
    st.markdown(t("status.hold", days=rules.hold_days))
