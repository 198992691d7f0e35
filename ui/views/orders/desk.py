"""The desk's parts: the scanner-first search box, the handover just made with its undo, the confirm step (who
collected: the resident, family, a neighbour; for a bag found by phone tail or name, first the code or the whole
phone), and the search results, a household's bags together (pages/desk.py lays them out)."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st
from sqlalchemy.orm import Session

from db.core.clock import to_local, utc_now
from db.core.errors import StoreError
from db.orders.calls import Contact
from db.orders.lifecycle import (
    COLLECTORS,
    UNDO_WINDOW,
    FoundOrder,
    hand_over,
    hand_over_household,
    list_free_slot_codes,
    move_order,
    undo_hand_over,
    undo_hand_over_household,
)
from db.orders.proof import WRONG_ANSWERS_ALLOWED, check_collector, names_the_bag
from db.orders.review import get_order_detail
from db.outbox.opt_outs import record_sms_opt_out
from db.people.login_sessions import SignedIn
from ui.actions import forget, run_change
from ui.i18n import join_list, t
from ui.keyboard import input_hints
from ui.session import post_notice
from ui.store import read_scope
from ui.tables import translate_codes
from ui.views.orders.calls import last_call_words
from ui.voice import ALERT, SUCCESS, announce, spoken_number
from ui.widgets import ask_first, big_button, camera_scan, confirmation, show_error

QUERY_KEY = "desk_query"
# What the last Enter searched for: the results are its, and the box, empty for the next scan, shows it greyed.
SEARCH_KEY = "desk_search"
# The bags tapped for handover, until the volunteer confirms or backs out; then the last handover, for its undo.
PENDING_KEY = "desk_pending_handover"
LAST_HANDOVER_KEY = "desk_last_handover"
# Why the store refused the last confirm (another tablet was first), shown once where the confirm step was.
REFUSED_KEY = "desk_handover_refused"
# Changes after each handover, undo, cancel, move or refusal: the cursor goes back into the search box.
FOCUS_TOKEN_KEY = "desk_focus_token"
# Counts the searches: on a short view (200 % zoom on the tablet) each one brings the search row to the top again.
SEARCHES_KEY = "desk_searches"
# The search row's container: pinned to the top of a short view, its box and button side by side at any width.
SEARCH_ROW_KEY = "desk_search_row"
COLLECTOR_NAME_KEY = "desk_collector_name"
# The code or whole phone number a bag found by phone tail or name asks for; the answer waits here for its check.
PROOF_KEY = "desk_proof"
PROOF_ANSWER_KEY = "desk_proof_answer"
# The confirm buttons: the first (the resident) keeps the desk's old key.
CONFIRM_KEYS = {"self": "desk_confirm", "family": "desk_confirm_family", "neighbour": "desk_confirm_neighbour"}
# The search the voice last spoke about: (SEARCHES_KEY's count, the text), so a rerun of the same search says
# nothing again (a camera read fills the search without an Enter: its new text counts as new).
HEARD_KEY = "desk_search_heard"
CONFIRM_LABELS = {"self": "desk.confirm_self", "family": "desk.confirm_family", "neighbour": "desk.confirm_neighbour"}


def search_box() -> str:
    """The search box, and what the last Enter in it searched for. Every Enter takes the text out of the box (which
    shows it greyed, as its placeholder), so the scanner's next code + Enter is a fresh search whatever the last one
    found: nothing, a bag not taken, a bag not ready. A new search drops a confirm step left open. A button empties
    the search; the camera searches what it reads."""
    camera_scan(key="desk_camera", fills=SEARCH_KEY)
    search: str = st.session_state.get(SEARCH_KEY, "")
    # The last search stays in sight in the empty box, where the next scan's keys replace it; no line of its own,
    # so the bag found and its button stay in view on the landscape tablet.
    shown = t("desk.searched", text=search).plain if search else t("desk.search_placeholder")
    with st.container(key=SEARCH_ROW_KEY):
        box, clear = st.columns([5, 1], vertical_alignment="bottom")
        with box:
            st.text_input(t("desk.search"), key=QUERY_KEY, placeholder=shown, on_change=_take_search)
        with clear:
            big_button(t("desk.clear"), key="desk_clear", on_click=_clear_search)
    return search


def scan_hints() -> None:
    """Once per run, last (so a refusal's refocus made further down counts): the cursor in the search box for the
    scanner — in the code box of a confirm step that asks for one — and that step's last row brought into view."""
    waiting = st.session_state.get(PENDING_KEY)
    focus = t("desk.proof") if waiting is not None and waiting.get("proof", True) else t("desk.search")
    reveal = "desk_cancel" if waiting is not None else None
    token = st.session_state.get(FOCUS_TOKEN_KEY, 0)
    pin = (SEARCH_ROW_KEY, f"{token}.{st.session_state.get(SEARCHES_KEY, 0)}") if waiting is None else None
    input_hints(focus=focus, reveal=reveal, token=token, pin=pin)


def _take_search() -> None:
    # A widget callback: runs before the page, the one moment the box's own value may still be changed.
    st.session_state[SEARCH_KEY] = st.session_state[QUERY_KEY].strip()
    st.session_state[QUERY_KEY] = ""
    st.session_state[SEARCHES_KEY] = st.session_state.get(SEARCHES_KEY, 0) + 1
    forget(PENDING_KEY, COLLECTOR_NAME_KEY, PROOF_KEY, PROOF_ANSWER_KEY)


def _clear_search() -> None:
    st.session_state[QUERY_KEY] = ""
    forget(SEARCH_KEY, PENDING_KEY, COLLECTOR_NAME_KEY, PROOF_KEY, PROOF_ANSWER_KEY)
    _refocus()


def _refocus() -> None:
    st.session_state[FOCUS_TOKEN_KEY] = st.session_state.get(FOCUS_TOKEN_KEY, 0) + 1


def _bags_text(bags: dict[str, Any]) -> str:
    """ "8-3-1207（货位 S1-01）、…" for the household's messages (plain words, escaped once as a parameter)."""
    pairs = zip(bags["codes"], bags["slots"], strict=True)
    return join_list([t("desk.bag_in_slot", code=code, slot=slot or "—").plain for code, slot in pairs]).plain


def last_handover(user: SignedIn) -> None:
    """The handover just made, with its undo while the rules allow it; the undo shows the bags back in their slots
    (the search that found them) and leaves the box empty for the next scan."""
    last = st.session_state.get(LAST_HANDOVER_KEY)
    if last is None or utc_now() - last["at"] >= UNDO_WINDOW:
        return
    until = to_local(last["at"] + UNDO_WINDOW).strftime("%H:%M")
    several = len(last["order_ids"]) > 1
    if several:
        st.success(t("desk.handed_over_household", count=len(last["order_ids"]), bags=_bags_text(last), until=until))
    else:
        st.success(t("desk.handed_over", code=last["codes"][0], slot=last["slots"][0] or "—", until=until))
    if not big_button(t("desk.undo"), key="desk_undo"):
        return

    def _undone(_: object) -> None:
        forget(LAST_HANDOVER_KEY)
        st.session_state[SEARCH_KEY] = last["query"]
        _refocus()

    moment = utc_now()
    if several:
        change = partial(
            undo_hand_over_household, order_ids=last["order_ids"], volunteer_id=user.volunteer_id, now=moment
        )
        run_change(change, then=_undone, done_key="desk.undone_household", count=len(last["order_ids"]))
    else:
        change = partial(undo_hand_over, order_id=last["order_ids"][0], volunteer_id=user.volunteer_id, now=moment)
        run_change(change, then=_undone, done_key="desk.undone", code=last["codes"][0], slot=last["slots"][0] or "—")


def pending_handover(user: SignedIn) -> bool:
    """The confirm step, in place of the results, while bags wait for it (True then). One tap says who collected
    and confirms; bags found by phone tail or name first ask for their code or the whole phone number. Kept in the
    session, so bags another tablet has just handed over are still attempted and the store says by whom."""
    refused = st.session_state.pop(REFUSED_KEY, None)
    if refused is not None:
        show_error(refused)
    waiting = st.session_state.get(PENDING_KEY)
    if waiting is None:
        return False
    several = len(waiting["order_ids"]) > 1
    if several:
        st.warning(t("desk.confirm_hand_over_household", count=len(waiting["order_ids"]), bags=_bags_text(waiting)))
    else:
        st.warning(t("desk.confirm_hand_over", code=waiting["codes"][0], slot=waiting["slots"][0] or "—"))
    if waiting.get("proof", True):
        _ask_for_proof(user, waiting)
        return True
    # One row: who collected (each answer confirms, in the button's callback: the run it starts already shows the
    # handover, where a rerun after the write cost a second run per tap); below it the optional name and "no".
    for column, collector in zip(st.columns(len(COLLECTORS)), COLLECTORS, strict=True):
        with column:
            big_button(
                t(CONFIRM_LABELS[collector]),
                key=CONFIRM_KEYS[collector],
                primary=collector == "self",
                on_click=partial(_hand_over, user, collected_by=collector),
            )
    name_column, cancel_column = st.columns([3, 1], vertical_alignment="bottom")
    with name_column:
        st.text_input(
            t("desk.collector_name"), key=COLLECTOR_NAME_KEY, max_chars=40, placeholder=t("desk.collector_placeholder")
        )
    with cancel_column:
        cancelled = big_button(t("confirm.no"), key="desk_cancel")
    if cancelled:
        _cancel()
    return True


def _cancel() -> None:
    forget(PENDING_KEY, COLLECTOR_NAME_KEY, PROOF_KEY, PROOF_ANSWER_KEY)
    _refocus()
    st.rerun()


def _ask_for_proof(user: SignedIn, waiting: dict[str, Any]) -> None:
    """What the group notice does not carry: the bag's code (or QR), or the whole phone number, which the store
    checks (the number is never shown). Each answer leaves the box empty; a wrong one is said in place of the
    question (so it stays in view above the box) and recorded."""
    answer = st.session_state.pop(PROOF_ANSWER_KEY, "")
    if answer:

        def _checked(right: bool) -> None:
            if not right:
                announce(tone=ALERT)
                st.error(t("desk.proof_wrong", tries=WRONG_ANSWERS_ALLOWED))
                return
            st.session_state[PENDING_KEY] = {**waiting, "proof": False}
            st.rerun()

        check = partial(
            check_collector,
            order_ids=waiting["order_ids"],
            answer=answer,
            volunteer_id=user.volunteer_id,
            now=utc_now(),
        )
        run_change(check, then=_checked, rerun=False)
    else:
        st.info(t("desk.proof_needed"))
    answer_column, cancel_column = st.columns([3, 1], vertical_alignment="bottom")
    with answer_column:
        st.text_input(t("desk.proof"), key=PROOF_KEY, placeholder=t("desk.search_placeholder"), on_change=_take_proof)
    with cancel_column:
        if big_button(t("confirm.no"), key="desk_cancel"):
            _cancel()


def _take_proof() -> None:
    st.session_state[PROOF_ANSWER_KEY] = st.session_state[PROOF_KEY].strip()
    st.session_state[PROOF_KEY] = ""


def _hand_over(user: SignedIn, *, collected_by: str) -> None:
    """A confirm button's callback: the bags waiting are handed over before the run it starts, which shows the
    handover with its undo (or, in the confirm step's place, why the store refused)."""
    waiting = st.session_state.get(PENDING_KEY)
    if waiting is None:
        return  # answered already (a second tap)
    collector_name = st.session_state.get(COLLECTOR_NAME_KEY, "") if collected_by != "self" else ""
    moment = utc_now()
    who: dict[str, Any] = {"volunteer_id": user.volunteer_id, "now": moment, "collected_by": collected_by}
    if len(waiting["order_ids"]) > 1:
        change = partial(hand_over_household, order_ids=waiting["order_ids"], collector_name=collector_name, **who)
    else:
        change = partial(hand_over, order_id=waiting["order_ids"][0], collector_name=collector_name, **who)

    def _done(_: object) -> None:
        count = len(waiting["order_ids"])
        announce(tone=SUCCESS, words=t("voice.handed_over", count=count, number=spoken_number(count)).plain)
        st.session_state[LAST_HANDOVER_KEY] = {**waiting, "at": moment}
        forget(SEARCH_KEY)
        _refocus()

    def _refused(error: StoreError) -> None:
        announce(tone=ALERT)
        st.session_state[REFUSED_KEY] = error
        _refocus()

    # The question is answered either way: a refusal (another tablet was first) is shown in its place.
    forget(PENDING_KEY, COLLECTOR_NAME_KEY)
    run_change(change, then=_done, refused=_refused, rerun=False)


def _ask(bags: list[FoundOrder], query: str) -> None:
    codes = [bag.pickup_code for bag in bags]
    ask_first(
        PENDING_KEY,
        {
            "order_ids": [bag.id for bag in bags],
            "codes": codes,
            "slots": [bag.slot for bag in bags],
            "query": query,
            # Found by phone tail or name alone (what a group notice may tell anyone): the code or phone first.
            "proof": not names_the_bag(text=query, pickup_codes=codes),
        },
    )
    st.rerun()


def results(user: SignedIn, found: list[FoundOrder], *, query: str, contacts: dict[int, Contact]) -> None:
    """The bags found: a resident's several waiting bags first, with one button for all of them; then each bag with
    its handover button and a move to another slot."""
    _announce_find(found, query)
    if not found:
        st.info(t("desk.nothing_found", text=query))
        return
    households: dict[str, list[FoundOrder]] = {}
    for bag in found:
        if bag.slot is not None:
            households.setdefault(bag.household, []).append(bag)
    # A household's one button is the step's primary action; its bags' own buttons are then secondary.
    grouped = {bag.id for group in households.values() if len(group) > 1 for bag in group}
    for number, bags in enumerate(group for group in households.values() if len(group) > 1):
        with st.container(border=True):
            st.markdown(t("desk.household", name=bags[0].resident_name, phone=bags[0].phone, count=len(bags)))
            label = t("desk.hand_over_household", count=len(bags), slots=join_list([bag.slot or "" for bag in bags]))
            if big_button(label, key=f"desk_hand_over_household_{number}", primary=True):
                _ask(bags, query)
    for bag in found:
        _result(user, bag, query=query, contact=contacts.get(bag.id), primary=bag.id not in grouped)


def _announce_find(found: list[FoundOrder], query: str) -> None:
    """Once per search: where the bag is ("冷藏，F1-13"), a household's slots ("三袋：F1-13、F1-29"), how many bags
    when they are not one resident's, or the other tone when nothing waits in a slot (nothing found, not ready).
    Slot, class and count only: residents stand at the counter."""
    heard = (st.session_state.get(SEARCHES_KEY, 0), query)
    if st.session_state.get(HEARD_KEY) == heard:
        return
    st.session_state[HEARD_KEY] = heard
    waiting = [bag for bag in found if bag.slot is not None]
    if not waiting:
        announce(tone=ALERT)
        return
    count = len(waiting)
    if count == 1:
        storage_class = translate_codes(waiting[0].storage_class, "kind")
        words = t("voice.found", storage_class=storage_class, slot=waiting[0].slot or "")
    elif len({bag.household for bag in waiting}) == 1:
        slots = [bag.slot or "" for bag in waiting]
        words = t("voice.found_household", number=spoken_number(count), slots=slots)
    else:
        words = t("voice.found_several", number=spoken_number(count))
    announce(tone=SUCCESS, words=words.plain)


def _told(contact: Contact) -> None:
    """What the resident was last told about the bag: the group notice and the last call, one line each."""
    if contact.told is not None:
        notice = t(f"value.notice.{contact.told.kind}").plain
        st.caption(t("desk.told", notice=notice, at=contact.told.told_at, by=contact.told.told_by))
    if contact.call is not None:
        st.caption(t("calls.last_call", words=last_call_words(contact.call)))


def _result(user: SignedIn, order: FoundOrder, *, query: str, contact: Contact | None, primary: bool) -> None:
    with st.container(border=True):
        # An overdue bag says so first; the handover button right under the slot: on the landscape tablet, at 200 %
        # zoom too, the search box, the slot and its button are in view without scrolling, the details below them.
        if order.overdue:
            st.error(t("desk.overdue"))
        st.markdown(f"## {t('desk.slot', slot=order.slot or '—')}")
        if order.slot is not None:
            _hand_over_button(order, query, primary=primary)
        st.markdown(
            t(
                "desk.result_code",
                code=order.pickup_code,
                platform=order.platform,
                storage_class=translate_codes(order.storage_class, "kind"),
                status=translate_codes(order.status, "status"),
            )
        )
        st.markdown(t("desk.result_resident", name=order.resident_name, phone=order.phone, count=order.item_count))
        if order.days_held is not None:
            st.caption(t("desk.days_held", count=order.days_held))
        if contact is not None:
            _told(contact)
        if order.slot is None:
            st.info(t("desk.not_ready", status=translate_codes(order.status, "status")))
        elif st.toggle(t("desk.move"), key=f"desk_move_{order.id}"):
            _move(user, order)
        # Last in the card, small: asked for now and then, never in the way of the handover.
        _no_more_sms(user, order)


def _no_more_sms(user: SignedIn, order: FoundOrder) -> None:
    """The resident asks at the desk for no more SMS: recorded for their phone number (which the desk never shows;
    the store takes it from the bag), asked once more."""
    pending = f"desk_no_sms_{order.id}_pending"
    if st.button(
        t("desk.no_more_sms"),
        key=f"desk_no_sms_{order.id}",
        type="tertiary",
        icon=":material/sms_failed:",
        width="stretch",
    ):
        ask_first(pending)
    if confirmation(
        pending,
        question=t("desk.no_more_sms_question", name=order.resident_name, phone=order.phone),
        yes_key=f"desk_no_sms_{order.id}_yes",
        no_key=f"desk_no_sms_{order.id}_no",
    ):
        change = partial(record_opt_out_of_bag, site_id=user.site_id, order_id=order.id, volunteer_id=user.volunteer_id)

        def _told(added: bool) -> None:
            key = "desk.no_more_sms_recorded" if added else "desk.no_more_sms_already"
            post_notice(key, name=order.resident_name)

        run_change(change, then=_told, refused=_no_sms_refused)


def _no_sms_refused(error: StoreError) -> None:
    # The one refusal a volunteer meets here: the bag's number is no mobile number, which gets no SMS anyway.
    if error.params.get("field") == "phone":
        st.info(t("desk.no_more_sms_not_mobile"))
        return
    show_error(error)


def record_opt_out_of_bag(session: Session, *, site_id: int, order_id: int, volunteer_id: int) -> bool:
    """The phone number of the bag's resident gets no SMS again (db.outbox.opt_outs keeps a keyed hash of it, and
    cancels an SMS to it still waiting). False when it was recorded before."""
    now = utc_now()
    phone = get_order_detail(session, site_id=site_id, order_id=order_id, now=now).phone
    return record_sms_opt_out(session, site_id=site_id, phone=phone, volunteer_id=volunteer_id, now=now)


def _hand_over_button(order: FoundOrder, query: str, *, primary: bool) -> None:
    if big_button(t("desk.hand_over"), key=f"desk_hand_over_{order.id}", primary=primary):
        _ask([order], query)


def _move(user: SignedIn, order: FoundOrder) -> None:
    with read_scope() as session:
        free = list_free_slot_codes(session, site_id=user.site_id, storage_class=order.storage_class)
    target = st.selectbox(
        t("desk.move_to"), free, index=None, key=f"desk_move_to_{order.id}", placeholder=t("desk.move_placeholder")
    )
    if big_button(t("desk.move_submit"), key=f"desk_move_submit_{order.id}", disabled=target is None) and target:
        run_change(
            partial(move_order, order_id=order.id, slot_code=target, volunteer_id=user.volunteer_id, now=utc_now()),
            then=lambda _: _refocus(),
            done_key="desk.moved",
            result_as="slot",
            code=order.pickup_code,
            before=order.slot,
        )
