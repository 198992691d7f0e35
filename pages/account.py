"""My account: who is signed in, for which site and roles; later, change one's own password or PIN."""

import streamlit as st

from db.sites import get_site
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.widgets import page_header, translate_codes

user = require_role(VOLUNTEER, ORGANIZER)
page_header("account")

with read_scope() as session:
    site = get_site(session, site_id=user.site_id)
st.markdown(t("account.who", name=user.name, site=site.name))
st.markdown(t("account.roles", roles=translate_codes(sorted(user.roles), "role") or t("account.no_roles")))
