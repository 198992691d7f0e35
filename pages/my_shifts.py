"""My shifts: check in and out at the tablet, sign up for open shifts, sign out before the cutoff."""

import datetime as dt
from functools import partial

import streamlit as st

from db.core.clock import utc_now
from db.roster.shifts import (
    cancel_sign_up,
    check_in,
    check_in_open,
    check_out,
    list_my_assignments,
    list_open_shifts,
    sign_up,
)
from ui.actions import run_change
from ui.guard import require_role
from ui.i18n import t
from ui.keyboard import input_hints
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.store import read_scope
from ui.views.roster.shifts import settle_roster, shift_label, staffing_label
from ui.widgets import big_button, confirmed_button, page_header

user = require_role(VOLUNTEER, ORGANIZER)
page_header("my_shifts")

DAYS_AHEAD = 14
# The shift just signed up for (from the list of open shifts at the bottom): its check-in button, when the window is
# open, appears at the top, out of sight; it is brought into view once.
SIGNED_UP_KEY = "my_shifts_signed_up"

now = utc_now()
settle_roster(site_id=user.site_id, now=now)
with read_scope() as session:
    mine = list_my_assignments(
        session, volunteer_id=user.volunteer_id, start=now, end=now + dt.timedelta(days=DAYS_AHEAD)
    )
    open_shifts = list_open_shifts(
        session, site_id=user.site_id, volunteer_id=user.volunteer_id, now=now, end=now + dt.timedelta(days=DAYS_AHEAD)
    )

# Now: the shift whose check-in window is open, or the one the volunteer is on.
st.header(t("my_shifts.now"))
on_duty = [
    mine_now
    for mine_now in mine
    if mine_now.status == "checked_in"
    or (
        mine_now.status == "signed_up"
        and check_in_open(starts_at=mine_now.starts_at, ends_at=mine_now.ends_at, now=now)
    )
]
if not on_duty:
    st.caption(t("my_shifts.nothing_now"))
for assignment in on_duty:
    label = shift_label(starts_at=assignment.starts_at, ends_at=assignment.ends_at, role=assignment.role)
    if assignment.status == "signed_up":
        if big_button(t("my_shifts.check_in", shift=label), key=f"check_in_{assignment.assignment_id}", primary=True):
            run_change(
                partial(check_in, assignment_id=assignment.assignment_id, now=utc_now()),
                done_key="my_shifts.checked_in",
                shift=label,
            )
    else:
        st.success(t("my_shifts.on_duty", shift=label))
        if big_button(t("my_shifts.check_out"), key=f"check_out_{assignment.assignment_id}", primary=True):
            run_change(
                partial(check_out, assignment_id=assignment.assignment_id, now=utc_now()),
                done_key="my_shifts.checked_out",
                shift=label,
            )

# Coming up: signing out asks once more, and is refused after the site's cutoff.
st.header(t("my_shifts.upcoming"))
upcoming = [assignment for assignment in mine if assignment.status == "signed_up" and assignment not in on_duty]
if not upcoming:
    st.caption(t("my_shifts.none_upcoming"))
for assignment in upcoming:
    label = shift_label(starts_at=assignment.starts_at, ends_at=assignment.ends_at, role=assignment.role)
    st.markdown(f"**{label}**")
    if confirmed_button(
        t("my_shifts.sign_out"),
        key=f"sign_out_{assignment.assignment_id}",
        question=t("my_shifts.sign_out_question", shift=label),
        yes=t("my_shifts.sign_out_yes"),
        no=t("my_shifts.sign_out_no"),
        yes_key=f"sign_out_yes_{assignment.assignment_id}",
        no_key=f"sign_out_no_{assignment.assignment_id}",
    ):
        run_change(
            partial(cancel_sign_up, assignment_id=assignment.assignment_id, now=utc_now()),
            done_key="my_shifts.signed_out",
            shift=label,
        )

# Open shifts in the volunteer's roles with a place left.
st.header(t("my_shifts.open"))
if not open_shifts:
    st.caption(t("my_shifts.none_open"))
for shift in open_shifts:
    label = shift_label(starts_at=shift.starts_at, ends_at=shift.ends_at, role=shift.role)
    staffing = staffing_label(staffed=shift.staffed, min_staff=shift.min_staff, max_staff=shift.max_staff)
    st.markdown(f"**{label}** · {staffing}")
    if big_button(t("my_shifts.sign_up"), key=f"sign_up_{shift.id}"):
        run_change(
            partial(sign_up, shift_id=shift.id, volunteer_id=user.volunteer_id, now=utc_now()),
            then=lambda assignment: st.session_state.update({SIGNED_UP_KEY: assignment.shift_id}),
            done_key="my_shifts.signed_up",
            shift=label,
        )

signed_up = st.session_state.pop(SIGNED_UP_KEY, None)
for assignment in on_duty:
    if assignment.shift_id == signed_up and assignment.status == "signed_up":
        input_hints(reveal=f"check_in_{assignment.assignment_id}", token=assignment.assignment_id)
