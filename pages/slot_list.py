"""The slot list to print: every bag in a slot, by slot or by building, as a plain table and as files."""

import pandas as pd
import streamlit as st

from db.core.clock import local_today, utc_now
from db.orders.review import list_slot_bags
from ui.downloads import download_buttons, translated_frame
from ui.guard import require_role
from ui.i18n import current_language, t
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.tables import show_print_table
from ui.widgets import page_header

CODES = {"kind": "kind"}

user = require_role(ORGANIZER)
page_header("slot_list")
now = utc_now()

orders = {"slot": t("slot_list.by_slot"), "building": t("slot_list.by_building")}
by = st.radio(t("slot_list.by"), list(orders), format_func=orders.get, horizontal=True, key="slot_list_by")


def load_bags() -> pd.DataFrame:
    with read_scope() as session:
        return list_slot_bags(session, site_id=user.site_id, now=now, by=by)


bags = load_bags()
st.caption(t("slot_list.caption", count=len(bags), day=local_today(now).isoformat()))
download_buttons(load_bags, key="slot_list_export", file_stem=f"slots-{local_today(now).isoformat()}", codes=CODES)
if bags.empty:
    st.caption(t("table.empty"))
else:
    # A static table, not the interactive grid: it prints page after page as it is.
    show_print_table(translated_frame(bags, language=current_language(), codes=CODES))
