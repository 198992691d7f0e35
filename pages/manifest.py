"""Manifest import: upload a platform's delivery list, see what it holds (numbers masked), and import it on confirm."""

import hashlib

import pandas as pd
import streamlit as st

from db.core.clock import local_today, utc_now
from db.core.errors import ManifestUnreadable
from db.core.privacy import mask_phone
from db.orders.manifest import apply_import, plan_import, read_manifest
from ui.actions import keep, run_change
from ui.guard import require_role
from ui.i18n import MarkdownText, current_language, t
from ui.manifest_text import import_error_text, import_summary, rejected_reason
from ui.pages_registry import ORGANIZER
from ui.store import read_scope
from ui.tables import show_table
from ui.widgets import big_button, page_header

PREVIEW_ROWS = 200
# (file digest, summary) of the import this session made last: shown above the file's fresh preview.
LAST_IMPORT_KEY = "manifest_last_import"

user = require_role(ORGANIZER)
page_header("manifest")
language = current_language()

upload = st.file_uploader(t("manifest.file"), type=["csv", "xlsx"], key="manifest_file")
if upload is None:
    st.stop()
data = upload.getvalue()
digest = hashlib.sha256(data).hexdigest()
last: tuple[str, MarkdownText] | None = st.session_state.get(LAST_IMPORT_KEY)
# Just imported: its outcome, not a second preview of the same file (which would offer nothing, or 0 orders).
outcome = last[1] if last is not None and last[0] == digest else None
just_imported = outcome is not None
if outcome is not None:
    st.success(outcome)

try:
    table = read_manifest(data, filename=upload.name)
except ManifestUnreadable as error:
    st.error(import_error_text(error, language=language))
    st.stop()

# The page's day, read here: the store never reads the clock. Delivery dates are checked against it.
today = local_today()
with read_scope() as session:
    plan = plan_import(session, site_id=user.site_id, table=table, today=today)
if not just_imported:
    st.info(import_summary(plan, language=language, planned=True))

if plan.orders:
    st.header(t("manifest.orders_heading"))
    show_table(
        pd.DataFrame(
            [
                {
                    "platform": o.platform,
                    "order_number": o.order_number,
                    "pickup_code": o.pickup_code,
                    "resident_name": o.resident_name,
                    "phone": mask_phone(o.phone),
                    "address": o.address,
                    "delivery_date": o.delivery_date,
                    "storage_class": o.storage_class,
                    "items": len(o.items),
                }
                for o in plan.orders[:PREVIEW_ROWS]
            ],
            columns=[
                "platform",
                "order_number",
                "pickup_code",
                "resident_name",
                "phone",
                "address",
                "delivery_date",
                "storage_class",
                "items",
            ],
        ),
        codes={"storage_class": "kind"},
    )
    if len(plan.orders) > PREVIEW_ROWS:
        st.caption(t("manifest.preview_more", shown=PREVIEW_ROWS, total=len(plan.orders)))
if plan.rejected:
    st.header(t("manifest.rejected_heading"))
    show_table(
        pd.DataFrame(
            [{"row": row.number, "reason": rejected_reason(row, language=language).plain} for row in plan.rejected],
            columns=["row", "reason"],
        )
    )


# Without orders to import there is no button: a second click after an import finds nothing to press.
if plan.orders and big_button(t("manifest.confirm", count=len(plan.orders)), key="manifest_confirm", primary=True):
    bar = st.progress(0.0, text=t("manifest.importing"))

    def show_progress(share: float) -> None:
        bar.progress(share, text=t("manifest.importing"))

    run_change(
        # Planned again inside the write: orders someone imported meanwhile count as already there.
        lambda session: apply_import(
            session,
            site_id=user.site_id,
            plan=plan_import(session, site_id=user.site_id, table=table, today=today),
            now=utc_now(),
            actor_id=user.volunteer_id,
            progress=show_progress,
        ),
        then=lambda result: keep(LAST_IMPORT_KEY)((digest, import_summary(result, language=language))),
    )
