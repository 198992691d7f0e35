"""Reconciliation (对账): per delivery day and platform, the manifest against what happened to each bag; the bags
to tell the platform about, as files its support desk can read."""

import datetime as dt

import pandas as pd
import streamlit as st

from db.core.clock import local_today, to_local
from db.reports.reconciliation import BALANCED, MAX_RECONCILIATION_DAYS, list_reconciliation_bags, reconcile_deliveries
from ui.downloads import download_buttons
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.signed_in import acting_site_id
from ui.store import read_scope
from ui.tables import show_table
from ui.widgets import page_header

CODES = {"balance": "balance"}
BAG_CODES = {"issue": "issue"}
DEFAULT_DAYS = 7

require_role(ORGANIZER)
page_header("reconciliation")
site_id = acting_site_id()
today = local_today()

picked = st.date_input(
    t("reconcile.range"),
    value=(today - dt.timedelta(days=DEFAULT_DAYS - 1), today),
    max_value=today,
    key="reconcile_range",
)
start, end = (picked[0], picked[-1]) if picked else (today, today)
if (end - start).days >= MAX_RECONCILIATION_DAYS:
    st.warning(t("reconcile.range_too_long", days=MAX_RECONCILIATION_DAYS))


def load_days() -> pd.DataFrame:
    with read_scope() as session:
        return reconcile_deliveries(session, site_id=site_id, start=start, end=end, today=today)


days = load_days()
if days.empty:
    st.info(t("reconcile.none"))
    st.stop()

flagged = days[days["balance"] != BALANCED]
if flagged.empty:
    st.success(t("reconcile.all_balanced", count=len(days)))
else:
    st.warning(t("reconcile.flagged", count=len(flagged)))
show_table(days, codes=CODES)
download_buttons(load_days, key="reconcile_days", file_stem=f"reconciliation-{start}-{end}", codes=CODES)

st.header(t("reconcile.bags"))


def day_platforms(rows: pd.DataFrame) -> list[tuple[dt.date, str]]:
    """Each row's (delivery day, platform)."""
    return list(zip(rows["delivery_date"], rows["platform"], strict=True))


# Flagged days first: they are why the organizer is here.
choices = day_platforms(flagged) + day_platforms(days[days["balance"] == BALANCED])
choice = st.selectbox(
    t("reconcile.day_platform"),
    range(len(choices)),
    format_func=lambda index: (
        t("reconcile.day_platform_option", day=choices[index][0], platform=choices[index][1]).plain
    ),
    key="reconcile_choice",
)
chosen_day, chosen_platform = choices[choice or 0]


def load_bags() -> pd.DataFrame:
    with read_scope() as session:
        bags = list_reconciliation_bags(
            session, site_id=site_id, delivery_date=chosen_day, platform=chosen_platform, today=today
        )
    # On the site's clock, to the minute: what a support desk on the phone asks about.
    bags["reported_at"] = bags["reported_at"].map(
        lambda moment: "" if pd.isna(moment) else f"{to_local(moment):%Y-%m-%d %H:%M}"
    )
    return bags


bags = load_bags()
st.caption(t("reconcile.bags_caption", count=len(bags), day=chosen_day, platform=chosen_platform))
show_table(bags, codes=BAG_CODES)
if not bags.empty:
    download_buttons(load_bags, key="reconcile_bags", file_stem=f"reconciliation-{chosen_day}-bags", codes=BAG_CODES)
