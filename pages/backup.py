"""Backup: download the whole database as a portable archive, with what it holds and every table's row count."""

import pathlib
import tempfile

import pandas as pd
import streamlit as st

from db.core.backup import make_backup, record_backup_download
from db.core.clock import to_local, utc_now
from db.core.errors import StoreError
from db.people.sites import count_sites, list_organizer_sites
from ui.guard import require_role
from ui.i18n import t
from ui.pages_registry import ORGANIZER
from ui.store import get_engine, read_scope, session_scope
from ui.tables import show_table
from ui.widgets import page_header, show_error

MADE_KEY = "backup_made"

user = require_role(ORGANIZER)
page_header("backup")
st.warning(t("backup.sensitive"))
st.markdown(t("backup.contents"))

with read_scope() as session:
    sites = count_sites(session)
    organized = len(list_organizer_sites(session, volunteer_id=user.volunteer_id))
if organized < sites:
    # The backup is the whole database: on a district's, other sites' residents would go home with it.
    st.info(t("backup.other_sites", sites=sites))
    st.stop()

if st.button(t("backup.make"), key="backup_make", type="primary"):
    # Built in a private folder and held in this browser session only; the folder is gone after the run.
    with tempfile.TemporaryDirectory() as scratch:
        try:
            summary = make_backup(get_engine(), path=pathlib.Path(scratch) / "cloudbasket.zip", kind="portable")
        except StoreError as error:
            show_error(error)
            st.stop()
        data = summary.path.read_bytes()
    with session_scope() as session:
        record_backup_download(
            session, site_id=user.site_id, actor_id=user.volunteer_id, summary=summary, now=utc_now()
        )
    st.session_state[MADE_KEY] = (summary, data)

made = st.session_state.get(MADE_KEY)
if made is not None:
    summary, data = made
    moment = to_local(summary.created_at)
    st.success(
        t("backup.made", time=f"{moment:%Y-%m-%d %H:%M}", rows=summary.total_rows, size=f"{len(data) / 1e6:.1f} MB")
    )
    st.download_button(
        t("backup.download"),
        data,
        file_name=f"cloudbasket-{moment:%Y-%m-%d-%H%M}.zip",
        mime="application/zip",
        key="backup_download",
        icon=":material/download:",
    )
    st.header(t("backup.counts"))
    show_table(
        pd.DataFrame(
            [{"table": table.name, "count": table.rows, "checksum": table.checksum[:16]} for table in summary.tables]
        )
    )
