"""The daily report of one site: arrivals, handovers, overdue bags, problems, temperatures and who was on duty; on
today's report, tomorrow's bags by storage class and the volunteers needed. Residents' numbers masked on screen, on
paper and in the files; an unmasked workbook asks why and is recorded."""

from functools import partial

import streamlit as st

from db.core.clock import local_today
from db.reports.figures import daily_report
from ui.downloads import translated_frame
from ui.exports import frame_to_csv_bytes, frames_to_xlsx_bytes
from ui.guard import require_role
from ui.i18n import current_language, t
from ui.kpis import this_minute
from ui.pages_registry import ORGANIZER
from ui.privacy import masked_frame, recorded_file, unmasked_reason
from ui.signed_in import acting_site_id
from ui.store import cached_read
from ui.tables import show_print_table, show_table
from ui.widgets import page_header

user = require_role(ORGANIZER)

# Stored code words in each part, shown through `value.<family>.<code>`.
CODES = {
    "arrived": {"storage_class": "kind", "status": "status"},
    "temperatures": {"in_range": "yes_no", "correction": "yes_no"},
    "on_duty": {"role": "role", "status": "status"},
    "tomorrow": {"storage_class": "kind"},
}
PART_TITLES = {
    "arrived": "daily.part.arrived",
    "handed_over": "daily.part.handed_over",
    "overdue": "daily.part.overdue",
    "problems": "daily.part.problems",
    "temperatures": "daily.part.temperatures",
    "on_duty": "daily.part.on_duty",
    "tomorrow": "daily.part.tomorrow",
    "hands": "daily.part.hands",
}
# The print view: no sidebar or menu on screen either (on paper the shared style sheet hides the controls).
PRINT_VIEW_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
</style>
"""

site_id = acting_site_id()
printable = st.session_state.get("daily_print", False)
if printable:
    st.html(PRINT_VIEW_CSS)
page_header("daily_report")

with st.container(key="daily_controls"):
    day = st.date_input(t("daily.day"), value=local_today(), max_value=local_today(), key="daily_day")
    st.toggle(t("daily.print_view"), key="daily_print", help=t("daily.print_help"))

report = cached_read(daily_report, site_id=site_id, day=day, now=this_minute())
language = current_language()
titles = {part: t(PART_TITLES[part]) for part in report.parts()}
parts = {part: masked_frame(frame) for part, frame in report.parts().items()}
# The workbook's sheets and the CSV files by their titles as words (a file shows text as it is, not as Markdown).
sheets = {
    titles[part].plain: translated_frame(frame, language=language, codes=CODES.get(part))
    for part, frame in parts.items()
}

st.markdown(t("daily.site_day", site=report.site_name, code=report.site_code, day=report.day))
for part, frame in parts.items():
    st.header(f"{titles[part]} ({len(frame)})")
    if printable and not frame.empty:
        show_print_table(sheets[titles[part].plain])
    else:
        show_table(frame, codes=CODES.get(part))
    # Tomorrow's shortfalls in words, as the dashboard and the evening's summary say them.
    if part == "tomorrow":
        short_classes = frame[frame["short_by"] > 0]
        for kind, hour, short_by in zip(
            short_classes["storage_class"], short_classes["peak_hour"], short_classes["short_by"].tolist(), strict=True
        ):
            st.warning(t("tomorrow.short", kind=kind, hour=hour, count=int(short_by)))
    if part == "hands" and (frame["short_by"] > 0).any():
        short = frame[frame["short_by"] > 0]
        st.warning(t("tomorrow.hands_short", hours=list(short["band"]), count=int(short["short_by"].max())))
if report.signed_off_by:
    st.caption(t("daily.signed_off", name=report.signed_off_by, time=report.signed_off_at))
else:
    st.caption(t("daily.not_signed_off"))

if not printable:
    st.header(t("daily.downloads"))
    stem = f"daily-{report.day.isoformat()}"
    st.download_button(
        t("export.xlsx"),
        lambda: frames_to_xlsx_bytes(sheets),
        file_name=f"{stem}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="daily_xlsx",
        on_click="ignore",
        width="stretch",
        icon=":material/download:",
    )
    part = st.selectbox(t("daily.csv_part"), list(sheets), key="daily_csv_part")
    st.download_button(
        t("export.csv"),
        lambda: frame_to_csv_bytes(sheets[part]),
        file_name=f"{stem}-{part}.csv",
        mime="text/csv",
        key="daily_csv",
        on_click="ignore",
        width="stretch",
        icon=":material/download:",
    )
    reason = unmasked_reason("daily")
    if reason is not None:
        whole = {
            titles[part].plain: translated_frame(frame, language=language, codes=CODES.get(part))
            for part, frame in report.parts().items()
        }
        st.download_button(
            t("privacy.unmasked_xlsx"),
            # Recorded when the workbook is made; its overdue bags are the rows that name residents.
            recorded_file(
                partial(frames_to_xlsx_bytes, whole),
                user=user,
                site_id=site_id,
                reason=reason,
                subject="daily_report",
                row_count=len(report.overdue),
            ),
            file_name=f"{stem}-unmasked.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="daily_whole_xlsx",
            on_click="ignore",
            width="stretch",
            icon=":material/download:",
        )
