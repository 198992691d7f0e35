"""The temperature log's sections: pick a unit, log a reading, today's log; for organizers the chart, the sign-off
with corrections and the inspector's export (pages/temperatures.py lays them out)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import NamedTuple

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from db.cold_chain.excursions import (
    list_excursions,
)
from db.cold_chain.temperatures import (
    EXPORT_COLUMNS,
    FOLLOW_UP_WITHIN,
    correct_temperature,
    count_missing_readings,
    is_day_signed_off,
    is_in_range,
    month_log_frame,
    parse_reading,
    record_temperature,
    sign_off_day,
    temperature_log_frame,
)
from db.cold_chain.units import list_cold_units, temperature_range
from db.core.clock import local_day_bounds, local_moment, local_today, recent_months, to_local, utc_now
from db.core.errors import StoreError
from db.people.login_sessions import SignedIn
from ui.actions import keep, run_change
from ui.charts import draw_chart, temperature_chart
from ui.downloads import frame_buttons
from ui.i18n import t
from ui.keyboard import DECIMAL, FULL, input_hints
from ui.store import read_scope
from ui.tables import show_table
from ui.widgets import big_button, show_error

# The temperatures page's state: the unit chosen, the last reading saved (or its refusal), the reading form's fields.
UNIT_KEY = "temperature_unit"
RESULT_KEY = "temperature_result"
# Changes whenever a unit is tapped: the cursor goes into its reading.
FOCUS_TOKEN_KEY = "temperature_focus_token"
UNIT_BUTTON_PREFIX = "temperature_unit_"
# The reading typed for a freezer without its minus sign that the volunteer confirmed as meant (no question again).
PLUS_CONFIRMED_KEY = "temperature_plus_confirmed"
FORM_KEYS = ("temperature_reading", "temperature_action", "temperature_earlier", "temperature_late_reason")
TODAY_COLUMNS = ["time", "unit", "reading_c", "in_range", "volunteer", "corrective_action", "late_reason"]
DAY_COLUMNS = [
    "reading_no",
    "time",
    "unit",
    "reading_c",
    "in_range",
    "volunteer",
    "corrective_action",
    "late_reason",
    "corrects_id",
    "replaced",
]


class ColdUnit(NamedTuple):
    """A fridge or freezer the log covers, as the page shows it."""

    code: str
    name: str
    kind: str
    low: float
    high: float


def cold_units(user: SignedIn) -> dict[int, ColdUnit]:
    with read_scope() as session:
        return {
            unit.id: ColdUnit(unit.code, unit.name, unit.kind, *temperature_range(unit))
            for unit in list_cold_units(session, site_id=user.site_id)
        }


def unit_picker(units: dict[int, ColdUnit]) -> int | None:
    """Which unit: one big button each. Returns the unit chosen on an earlier run (None before the first tap)."""
    st.header(t("temperatures.pick_unit"))
    chosen = st.session_state.get(UNIT_KEY)
    for unit_id, unit in units.items():
        kind = t(f"value.kind.{unit.kind}")
        label = t("temperatures.unit_button", code=unit.code, name=unit.name, kind=kind, low=unit.low, high=unit.high)
        # A callback, not a rerun after the click: one run draws the chosen unit's box (the keys typed right after
        # the tap wait in the browser for it, ui.keyboard's tap_focus).
        big_button(
            label,
            key=f"{UNIT_BUTTON_PREFIX}{unit.code}",
            primary=unit_id == chosen,
            on_click=partial(_choose_unit, unit_id),
        )
    return chosen


def _choose_unit(unit_id: int) -> None:
    st.session_state[UNIT_KEY] = unit_id
    st.session_state.pop(RESULT_KEY, None)
    st.session_state[FOCUS_TOKEN_KEY] = st.session_state.get(FOCUS_TOKEN_KEY, 0) + 1


def reading_form(user: SignedIn, unit: ColdUnit) -> bool:
    """The reading of the chosen unit, and what the rules ask for with it (a corrective action, a late reason).
    True when the typed reading is out of range (the action is asked for)."""
    st.header(t("temperatures.reading_for", code=unit.code, name=unit.name, low=unit.low, high=unit.high))
    typed = st.text_input(
        t("temperatures.reading"), key="temperature_reading", placeholder=t("temperatures.reading_placeholder")
    )
    unsigned = _missing_minus(typed, unit)
    if unsigned is not None:
        # A freezer's reading without its minus sign is most likely a slip: ask before it becomes an excursion.
        st.warning(t("temperatures.minus_question", reading=_with_minus(unsigned)))
        yes, no = st.columns(2)
        with yes:
            big_button(
                t("temperatures.minus_yes", reading=_with_minus(unsigned)),
                key="temperature_minus_yes",
                primary=True,
                on_click=partial(_add_minus, unsigned),
            )
        with no:
            big_button(
                t("temperatures.minus_no", reading=f"{unsigned:g}"),
                key="temperature_minus_no",
                on_click=partial(_keep_plus, typed),
            )
    out_of_range = unsigned is None and _out_of_range(typed, unit)
    if out_of_range:
        st.warning(t("temperatures.out_of_range", low=unit.low, high=unit.high))
        st.text_area(
            t("temperatures.corrective_action"),
            key="temperature_action",
            placeholder=t("temperatures.corrective_action_placeholder"),
        )
    if st.checkbox(t("temperatures.taken_earlier"), key="temperature_earlier"):
        now_local = to_local(utc_now())
        st.date_input(t("temperatures.taken_date"), value=now_local.date(), key="temperature_date")
        st.time_input(
            t("temperatures.taken_time"),
            value=now_local.time().replace(second=0, microsecond=0),
            step=60,
            key="temperature_time",
        )
        st.text_input(t("temperatures.late_reason"), key="temperature_late_reason")
    st.caption(t("temperatures.signed_as", name=user.name))
    big_button(
        t("temperatures.save"), key="temperature_save", primary=True, on_click=partial(_save_reading, user, unit)
    )
    return out_of_range


def _missing_minus(typed: str, unit: ColdUnit) -> float | None:
    """The reading when it is above zero for a unit whose whole range is below zero (a freezer) and the volunteer
    has not yet said it is meant so; else None."""
    if unit.high >= 0 or st.session_state.get(PLUS_CONFIRMED_KEY) == typed.strip():
        return None
    try:
        reading = parse_reading(typed) if typed.strip() else 0.0
    except StoreError:
        return None
    return reading if reading > 0 else None


def _with_minus(reading: float) -> str:
    return f"\u2212{reading:g}"


def _add_minus(reading: float) -> None:
    st.session_state["temperature_reading"] = f"-{reading:g}"


def _keep_plus(typed: str) -> None:
    st.session_state[PLUS_CONFIRMED_KEY] = typed.strip()


def reading_hints(unit: ColdUnit | None, *, out_of_range: bool) -> None:
    """Once per run: once a unit is tapped, the cursor in its reading and the form down to "save" brought into
    view; an out-of-range reading moves the cursor on to the corrective action. A fridge's reading opens the
    decimal keypad; a freezer's keeps the full keyboard, as iOS's decimal keypad has no minus sign."""
    focus = None
    if unit is not None:
        focus = t("temperatures.corrective_action") if out_of_range else t("temperatures.reading")
    # Every run names the box's keypad: the box is the same element from one unit to the next, and a keypad left
    # set for a fridge would stay on the freezer's.
    input_hints(
        modes={t("temperatures.reading"): DECIMAL if unit.low >= 0 else FULL} if unit is not None else None,
        focus=focus,
        reveal="temperature_save" if unit is not None else None,
        token=f"{st.session_state.get(FOCUS_TOKEN_KEY, 0)}:{out_of_range}",
        tap_focus=(UNIT_BUTTON_PREFIX, t("temperatures.reading")),
    )


def _out_of_range(typed: str, unit: ColdUnit) -> bool:
    try:
        return bool(typed.strip()) and not is_in_range(
            reading_c=parse_reading(typed), min_temp_c=unit.low, max_temp_c=unit.high
        )
    except StoreError:
        return False  # said on saving, when the volunteer has finished typing


def _save_reading(user: SignedIn, unit: ColdUnit) -> None:
    """Runs before the rerun (a button callback), so the form can be emptied after a reading is saved. A freezer's
    reading above zero is not saved until the volunteer has answered whether it lacks its minus sign."""
    state = st.session_state
    if _missing_minus(state.get("temperature_reading", ""), unit) is not None:
        state.pop(RESULT_KEY, None)
        return
    earlier = state.get("temperature_earlier")
    run_change(
        partial(
            _record_reading,
            user=user,
            typed=state.get("temperature_reading", ""),
            taken_at=local_moment(state["temperature_date"], state["temperature_time"]) if earlier else None,
            corrective_action=state.get("temperature_action"),
            late_reason=state.get("temperature_late_reason") if earlier else None,
        ),
        then=_reading_saved,
        refused=keep(RESULT_KEY),
        rerun=False,
    )


def _record_reading(
    session: Session, *, user: SignedIn, typed: str, **details: object
) -> tuple[float, bool, dt.datetime]:
    """The typed reading of the chosen unit, signed as this volunteer: (reading, in range, taken at)."""
    reading = record_temperature(
        session,
        storage_unit_id=st.session_state[UNIT_KEY],
        reading_c=parse_reading(typed),
        volunteer_id=user.volunteer_id,
        now=utc_now(),
        **details,  # type: ignore[arg-type]
    )
    return (reading.reading_c, reading.in_range, reading.taken_at)


def _reading_saved(result: tuple[float, bool, dt.datetime]) -> None:
    st.session_state[RESULT_KEY] = result
    st.session_state.pop(PLUS_CONFIRMED_KEY, None)
    # Set, not deleted: the browser keeps a widget's last value unless the server sends a new one.
    for key in FORM_KEYS:
        st.session_state[key] = False if key == "temperature_earlier" else ""


def last_reading() -> None:
    """What the last save did: the reading and, out of range, when the follow-up is due; or why it was refused."""
    result = st.session_state.get(RESULT_KEY)
    if isinstance(result, StoreError):
        show_error(result)
    elif result is not None:
        reading_c, in_range, taken_at = result
        st.success(t("temperatures.saved", reading=reading_c, time=to_local(taken_at).strftime("%H:%M")))
        if not in_range:
            due = to_local(taken_at + FOLLOW_UP_WITHIN).strftime("%H:%M")
            st.warning(t("temperatures.follow_up_due", time=due))


def todays_log(user: SignedIn) -> None:
    st.header(t("temperatures.today"))
    start = local_day_bounds(local_today())[0]
    with read_scope() as session:
        today = temperature_log_frame(
            session, site_id=user.site_id, start=start, end=utc_now() + dt.timedelta(minutes=1)
        )
    show_table(today[TODAY_COLUMNS])


def chart_tab(user: SignedIn, units: dict[int, ColdUnit]) -> None:
    """Each unit's readings over 1, 7 or 30 days against its range, excursions marked."""
    days = (
        st.segmented_control(
            t("temperatures.chart_days"),
            [1, 7, 30],
            default=7,
            key="temperature_chart_days",
            format_func=lambda count: t("temperatures.days", count=count),
        )
        or 7
    )
    now = utc_now()
    start = local_day_bounds(local_today() - dt.timedelta(days=days - 1))[0]
    with read_scope() as session:
        log = temperature_log_frame(session, site_id=user.site_id, start=start, end=now + dt.timedelta(minutes=1))
        excursions = list_excursions(session, site_id=user.site_id, start=start, end=now)
    for unit_id, unit in units.items():
        st.markdown(t("temperatures.unit_heading", code=unit.code, name=unit.name))
        readings = log[(log["unit"] == unit.code) & ~log["replaced"]]
        if readings.empty:
            st.caption(t("table.empty"))
            continue
        marked = [excursion for excursion in excursions if excursion.storage_unit_id == unit_id]
        chart = temperature_chart(readings, excursions=marked, low=unit.low, high=unit.high, now=now)
        draw_chart(chart)


def with_entry_refs(log: pd.DataFrame) -> pd.DataFrame:
    """The entry a correction replaces as its number (12), blank on the other rows (not the table's grey "None")."""
    return log.assign(corrects_id=log["corrects_id"].map(lambda value: "" if pd.isna(value) else str(int(value))))


def sign_off_tab(user: SignedIn) -> None:
    """A day's log with what is missing; the organizer signs it off and corrects an entry."""
    day = st.date_input(
        t("temperatures.sign_off_day"), value=local_today(), max_value=local_today(), key="temperature_sign_off_day"
    )
    start, end = local_day_bounds(day)
    with read_scope() as session:
        signed = is_day_signed_off(session, site_id=user.site_id, day=day)
        missing = sum(count_missing_readings(session, site_id=user.site_id, day=day, now=utc_now()).values())
        day_log = temperature_log_frame(session, site_id=user.site_id, start=start, end=end)
    show_table(with_entry_refs(day_log)[DAY_COLUMNS])
    if missing:
        st.warning(t("temperatures.day_missing", count=missing))
    if signed:
        st.success(t("temperatures.day_is_signed", who=day_log["sign_off"].iloc[0] if len(day_log) else ""))
    elif big_button(t("temperatures.sign_off"), key="temperature_sign_off", primary=True):
        run_change(partial(sign_off_day, site_id=user.site_id, day=day, volunteer_id=user.volunteer_id, now=utc_now()))
    correction_form(user, day_log)


def correction_form(user: SignedIn, day_log: pd.DataFrame) -> None:
    """A new entry in place of a wrong one, with the reason (the original stays, marked replaced)."""
    st.markdown(f"**{t('temperatures.correct_title')}**")
    correctable = day_log[~day_log["replaced"]]
    if correctable.empty:
        st.caption(t("table.empty"))
        return
    # Option text is shown as typed (not Markdown): the plain words.
    options: dict[int, str] = {
        int(reading_no): t("temperatures.correct_option", time=row.time, unit=row.unit, reading=row.reading_c).plain
        for reading_no, row in zip(correctable["reading_no"], correctable.itertuples(), strict=True)
    }
    target = st.selectbox(
        t("temperatures.correct_which"), list(options), format_func=options.__getitem__, key="temperature_correct_id"
    )
    new_value = st.text_input(t("temperatures.correct_value"), key="temperature_correct_value")
    reason = st.text_input(t("temperatures.correct_reason"), key="temperature_correct_reason")
    action = st.text_input(t("temperatures.corrective_action"), key="temperature_correct_action")
    if big_button(t("temperatures.correct"), key="temperature_correct"):
        run_change(
            lambda session: correct_temperature(
                session,
                reading_id=target,
                reading_c=parse_reading(new_value),
                volunteer_id=user.volunteer_id,
                reason=reason,
                now=utc_now(),
                corrective_action=action,
            )
        )


def export_tab(user: SignedIn) -> None:
    """A month's log as the inspector reads it, as CSV and Excel."""
    months = [(first.year, first.month) for first in recent_months(today=local_today())]
    year, month = st.selectbox(
        t("temperatures.export_month"),
        months,
        key="temperature_export_month",
        format_func=lambda pair: f"{pair[0]}-{pair[1]:02d}",
    )
    with read_scope() as session:
        month_log = month_log_frame(session, site_id=user.site_id, year=year, month=month)
    show_table(with_entry_refs(month_log))
    shown = month_log.assign(in_range=month_log["in_range"].map({True: t("value.yes"), False: t("value.no")}))
    shown.columns = [t(f"column.{column}") for column in EXPORT_COLUMNS]
    name = f"temperature-log-{year}-{month:02d}"
    frame_buttons(
        shown,
        labels=(t("temperatures.export_csv"), t("temperatures.export_xlsx")),
        keys=("temperature_export_csv", "temperature_export_xlsx"),
        file_stem=name,
        sheet_name=name,
    )
