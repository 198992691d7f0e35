"""What the residents' page says about their personal data: what the pickup point keeps, why, for how long (the
site's rule) and whom to ask (the site's contact, or the pickup desk) — the same words for everyone, no lookup."""

from __future__ import annotations

import streamlit as st

from db.core.models import SiteRules
from db.privacy.retention import NEVER_CLOSED_GRACE_DAYS
from ui.i18n import t


def privacy_statement(rules: SiteRules) -> None:
    """A short section in plain words; the contact is the committee's own text, escaped by the translator."""
    st.subheader(t("status.privacy_head"))
    contact = rules.privacy_contact.strip()
    ask = t("status.privacy_ask", contact=contact) if contact else t("status.privacy_ask_desk")
    lines = (
        t("status.privacy_what"),
        t("status.privacy_why"),
        t(
            "status.privacy_how_long",
            days=rules.personal_data_days,
            never_closed_days=rules.personal_data_days + NEVER_CLOSED_GRACE_DAYS,
        ),
        ask,
    )
    st.markdown("\n".join(f"- {line}" for line in lines))
