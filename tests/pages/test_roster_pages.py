"""Roster pages under AppTest: a volunteer signs up, checks in and out on the tablet; organizers plan and review."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.core.clock import utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Assignment, Shift, ShiftTemplate
from db.roster.shifts import create_shift, sign_up
from tests.support.app_data import AppData
from tests.support.pages import chart_specs, new_app
from ui.i18n import translate
from ui.pages_registry import ORGANIZER, VOLUNTEER
from ui.views.roster.shifts import shift_label


def zh(key: str, **params: object) -> str:
    return translate("zh-CN", key, **params)


def add_shift(data: AppData, *, starts_in: dt.timedelta, sign_up_volunteer: bool) -> tuple[int, int | None, str]:
    """A handout shift starting `starts_in` from the real clock (the page uses it), maybe with 王阿姨 on it;
    returns the shift, the assignment and the shift as the page words it in Chinese."""
    store = make_engine(data.url)
    starts = utc_now() + starts_in
    with unit_of_work(store) as session:
        shift = create_shift(
            session,
            site_id=data.site_id,
            role="handout",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            min_staff=1,
            max_staff=3,
            now=utc_now() - dt.timedelta(days=2),
        )
        assignment = (
            sign_up(
                session,
                shift_id=shift.id,
                volunteer_id=data.volunteer.volunteer_id,
                now=utc_now() - dt.timedelta(days=2),
            ).id
            if sign_up_volunteer
            else None
        )
        ids = shift.id, assignment, shift_label(starts_at=shift.starts_at, ends_at=shift.ends_at, role="handout")
    store.dispose()
    return ids


def assignment_status(data: AppData, assignment_id: int) -> str:
    store = make_engine(data.url)
    with unit_of_work(store) as session:
        status = session.scalar(select(Assignment.status).where(Assignment.id == assignment_id))
    store.dispose()
    return status


def infos(at) -> list[str]:
    return [element.value for element in at.info]


def test_volunteer_signs_up_for_an_open_shift(writable_app_env: AppData):
    shift_id, _, label = add_shift(writable_app_env, starts_in=dt.timedelta(days=3), sign_up_volunteer=False)
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/my_shifts.py").run()
    assert not at.exception
    at.button(key=f"sign_up_{shift_id}").click().run()

    assert not at.exception
    assert zh("my_shifts.signed_up", shift=label) in infos(at)
    assert f"sign_up_{shift_id}" not in [button.key for button in at.button]
    assert any(button.key.startswith("sign_out_") for button in at.button)


def test_volunteer_checks_in_and_out_at_the_tablet(writable_app_env: AppData):
    # Starts in 20 minutes: the check-in window (30 minutes before the start) is open.
    _, assignment_id, label = add_shift(writable_app_env, starts_in=dt.timedelta(minutes=20), sign_up_volunteer=True)
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/my_shifts.py").run()
    at.button(key=f"check_in_{assignment_id}").click().run()
    assert not at.exception
    assert assignment_status(writable_app_env, assignment_id) == "checked_in"
    assert zh("my_shifts.checked_in", shift=label) in infos(at)

    at.button(key=f"check_out_{assignment_id}").click().run()
    assert not at.exception
    assert assignment_status(writable_app_env, assignment_id) == "checked_out"


def test_no_check_in_button_before_the_window(writable_app_env: AppData):
    _, assignment_id, _ = add_shift(writable_app_env, starts_in=dt.timedelta(minutes=45), sign_up_volunteer=True)
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/my_shifts.py").run()
    keys = [button.key for button in at.button]
    assert f"check_in_{assignment_id}" not in keys and f"sign_out_{assignment_id}" in keys


def test_signing_out_after_the_cutoff_is_refused_with_the_reason(writable_app_env: AppData):
    _, assignment_id, _ = add_shift(writable_app_env, starts_in=dt.timedelta(hours=5), sign_up_volunteer=True)
    at = new_app(writable_app_env, audience=VOLUNTEER).switch_page("pages/my_shifts.py").run()
    at.button(key=f"sign_out_{assignment_id}").click().run()
    at.button(key=f"sign_out_yes_{assignment_id}").click().run()

    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith(zh("error.sign_out_past_cutoff", cutoff="")[:8])
    assert assignment_status(writable_app_env, assignment_id) == "signed_up"


def test_organizer_adds_weekly_shifts_and_generates_them_once(writable_app_env: AppData):
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/roster.py").run()
    assert not at.exception
    at.button(key="template_add_submit").click().run()
    assert not at.exception
    at.button(key="generate_submit").click().run()
    assert zh("roster.generated", count=5) in infos(at)
    at.button(key="generate_submit").click().run()
    assert zh("roster.generated", count=0) in infos(at)

    store = make_engine(writable_app_env.url)
    with unit_of_work(store) as session:
        templates = session.scalars(select(ShiftTemplate)).all()
        generated = session.scalars(select(Shift).where(Shift.template_id.is_not(None))).all()
    store.dispose()
    assert (len(templates), len(generated)) == (5, 5)
    # The coverage grid is drawn.
    at.date_input(key="roster_week").set_value(generated[0].starts_at.date() + dt.timedelta(days=1)).run()
    assert not at.exception and at.get("vega_lite_chart")
    # Each shift row is tall enough for its label: Vega-Lite drops labels that would overlap.
    spec = chart_specs(at)[0]
    assert spec["height"] == {"step": 30}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_organizer_pages_render_in_both_languages(app_env: AppData, language: str):
    for page in ("pages/roster.py", "pages/volunteers.py"):
        at = new_app(app_env, audience=ORGANIZER, language=language).switch_page(page).run()
        assert not at.exception, page


def test_organizer_resets_a_pin(writable_app_env: AppData):
    at = new_app(writable_app_env, audience=ORGANIZER).switch_page("pages/volunteers.py").run()
    at.selectbox(key="pin_who").select_index(at.selectbox(key="pin_who").options.index("王阿姨"))
    at.text_input(key="pin_new").input("1234")
    at.text_input(key="pin_again").input("1234")
    at.button(key="pin_submit").click().run()
    # Refused with the reason; both boxes are empty for the next PIN, the person stays picked.
    assert [element.value for element in at.error] == [zh("error.pin_run")]
    assert at.text_input(key="pin_new").value == at.text_input(key="pin_again").value == ""
    assert at.selectbox(key="pin_who").value.name == "王阿姨"
    at.text_input(key="pin_new").input("1357")
    at.text_input(key="pin_again").input("1357")
    at.button(key="pin_submit").click().run()
    assert not at.exception
    assert zh("volunteers.pin_was_reset", name="王阿姨") in infos(at)


def test_volunteer_import_names_columns_by_their_headings(app_env: AppData):
    at = new_app(app_env, audience=ORGANIZER).switch_page("pages/volunteers.py").run()
    at.file_uploader(key="volunteer_import_file_0").set_value(
        ("v.csv", "姓名,手机\n王阿姨,13800138000\n".encode(), "text/csv")
    ).run()
    assert not at.exception
    assert [element.value for element in at.error] == ["缺少 1 列：角色"]
    at.file_uploader(key="volunteer_import_file_0").set_value(
        ("v.csv", "姓名,手机,角色\n,13800138000,发货\n".encode(), "text/csv")
    ).run()
    assert at.dataframe[-1].value.to_dict("records") == [{zh("column.row"): 2, zh("column.reason"): "缺少“名称”。"}]
