"""Access records: who was shown a resident's whole number or took unmasked data, when, why, of which bag or list."""

import datetime as dt
from functools import partial

import pandas as pd
import streamlit as st

from db.core.clock import local_today
from db.core.models import ACCESS_KINDS
from db.privacy.access import list_access_records, list_access_volunteers
from ui.downloads import download_buttons
from ui.guard import require_role
from ui.i18n import current_language, t
from ui.pages_registry import ORGANIZER
from ui.privacy import worded_access_records
from ui.store import read_scope
from ui.tables import show_table
from ui.widgets import page_header

# The last 30 days unless the organizer picks other dates.
DEFAULT_DAYS = 30

user = require_role(ORGANIZER)
page_header("access_records")

with read_scope() as session:
    people: dict[int | None, str] = dict(list_access_volunteers(session, site_id=user.site_id))

today = local_today()
left, middle, right = st.columns(3)
days = left.date_input(
    t("access.days"), value=(today - dt.timedelta(days=DEFAULT_DAYS - 1), today), max_value=today, key="access_days"
)
# The choices' words looked up now: a format function runs again where the reader's language is not known.
everyone = t("access.all").plain
people_words = {None: everyone, **people}
kind_words: dict[str | None, str] = {None: everyone, **{k: t(f"value.access_kind.{k}").plain for k in ACCESS_KINDS}}
person = middle.selectbox(
    t("access.person"), list(people_words), format_func=people_words.__getitem__, key="access_person"
)
kind = right.selectbox(t("access.kind"), list(kind_words), format_func=kind_words.__getitem__, key="access_kind")
# While the range's second day is being picked, the first day alone.
since, until = (days[0], days[-1]) if days else (today, today)
read = partial(list_access_records, site_id=user.site_id, since=since, until=until, volunteer_id=person, kind=kind)
language = current_language()


def records() -> pd.DataFrame:
    """The chosen records, kinds, reasons and lists in words (also on the download thread: no st.* in here)."""
    with read_scope() as session:
        return worded_access_records(read(session), language=language)


shown = records()
st.caption(t("access.count", count=len(shown)))
show_table(shown)
download_buttons(records, key="access_export", file_stem="access-records")
