"""Hostile text for the "data is shown as text" tests: Markdown, HTML, GFM autolinks, images, Streamlit directives,
put into every text a person or a file can set, and the checks that none of it came out as markup."""

from __future__ import annotations

import csv
import datetime as dt
import io
import pathlib
import re
from dataclasses import dataclass

from sqlalchemy import select

from db.cold_chain.units import create_storage_unit
from db.core.clock import local_today, utc_now
from db.core.engine import make_engine, unit_of_work
from db.core.models import Order
from db.orders.lifecycle import normalize_pickup_code, receive_order, report_problem, shelve_order
from db.orders.manifest import apply_import, plan_import, read_manifest
from db.people.login_sessions import SignedIn
from db.people.site_rules import add_closed_days, update_site_rules
from db.people.volunteers import update_volunteer
from tests.support.app_data import AppData, build_app_database

EVIL_HOST = "evil.example"
WORD_JOINER = "\u2060"

# One piece of syntax each; every stored value below is made of these. Raw, any of them in a Markdown body
# would render as markup (or, for the last few, as a link, emoji, icon or arrow even behind backslashes).
ATOMS = (
    "**粗B**",
    "_斜E_",
    "~~删S~~",
    "`码K`",
    "<b>H</b>",
    f"<img src=https://{EVIL_HOST}/h.png>",
    f"[链L](https://{EVIL_HOST}/l)",
    f"![](http://{EVIL_HOST}/i.png)",
    f"![R](https://{EVIL_HOST}/r.png)",
    ":red[红R]",
    ":blue-background[蓝B]",
    ":orange[橙O]",
    "$x^2$",
    f"www.{EVIL_HOST}",
    f"https://{EVIL_HOST}/u",
    f"me@{EVIL_HOST}",
    ":smile:",
    ":material/bug_report:",
    "甲 -> 乙",
)
# Rules Streamlit's renderer applies to the parsed text, after backslash escapes are gone: these must be broken
# (a word joiner) in what reaches the browser, not only escaped.
TEXT_TRIGGERS = re.compile(
    rf"www\.{re.escape(EVIL_HOST)}|https?://{re.escape(EVIL_HOST)}|[\w.+-]@{re.escape(EVIL_HOST)}"
    r"|:smile:|:material[/_]bug_report:|(?:^|\s)->(?:\s|$)"
)

# Field by field, within the manifest's length limits (pickup code ≤ 20 characters and no spaces).
# Pickup codes are stored as the desk compares them (upper case, no spaces), so the payloads are written that way.
CODE_READY = normalize_pickup_code(f"www.{EVIL_HOST}")  # received and shelved: the residents' page shows its slot
CODE_PROBLEM = normalize_pickup_code(":smile:`码K`")  # received, then reported missing with REASON
CODE_EXPECTED = normalize_pickup_code("<b>H</b>:red[红R]")  # still expected: the arrivals page checks it in
PHONE = "13700009999"
NAME = "**粗B** _斜E_ :red[红R] <b>H</b> ~~删S~~"
PLATFORM = f"![](http://{EVIL_HOST}/i.png)"
ORDER_NUMBER = f"[链L](https://{EVIL_HOST}/l) $x^2$"
ADDRESS = f"<img src=https://{EVIL_HOST}/h.png> me@{EVIL_HOST} :material/bug_report: 甲 -> 乙"
PRODUCT = f"https://{EVIL_HOST}/u :blue-background[蓝B] ~~删S~~ `码K` _斜E_"
VOLUNTEER_NAME = f":orange[橙O] **粗B** www.{EVIL_HOST}"
REASON = f"![R](https://{EVIL_HOST}/r.png) [链L](https://{EVIL_HOST}/l)\n:smile: 甲 -> 乙"
UNIT_NAME = f"<b>H</b> https://{EVIL_HOST}/u"
# A closed date's note (at most 100 characters): tomorrow, so the residents' page, the arrivals notice (before the
# collect-by day) and the rules page show it.
CLOSED_NOTE = f"**粗B** <b>H</b> :red[红R] [链L](https://{EVIL_HOST}/l) 甲 -> 乙"
# The rules page's privacy contact (one line, at most 100 characters): the residents' page names it.
PRIVACY_CONTACT = f"[链L](https://{EVIL_HOST}/l) :red[红R] 甲 -> 乙 me@{EVIL_HOST} **粗B**"
STORED_VALUES = (
    CODE_READY,
    CODE_PROBLEM,
    CODE_EXPECTED,
    NAME,
    PLATFORM,
    ORDER_NUMBER,
    ADDRESS,
    PRODUCT,
    VOLUNTEER_NAME,
    REASON,
    UNIT_NAME,
    CLOSED_NOTE,
    PRIVACY_CONTACT,
)
assert all(any(atom in value for value in STORED_VALUES) for atom in ATOMS)


@dataclass(frozen=True)
class PayloadData:
    app: AppData
    volunteer: SignedIn  # the app data's volunteer, renamed to VOLUNTEER_NAME


def manifest_csv() -> bytes:
    """A platform's manifest whose every text column carries payloads: three orders, one item each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["平台", "订单号", "提货码", "收货人", "手机号", "商品", "数量", "储存", "到货日期", "地址"])
    for number, code in enumerate((CODE_READY, CODE_PROBLEM, CODE_EXPECTED), start=1):
        writer.writerow(
            [
                PLATFORM,
                f"{ORDER_NUMBER} {number}",
                code,
                NAME,
                PHONE,
                PRODUCT,
                1,
                "常温",
                local_today().isoformat(),
                ADDRESS,
            ]
        )
    return buffer.getvalue().encode("utf-8")


def build_payload_database(path: pathlib.Path) -> PayloadData:
    """The page tests' pickup point, plus the payload manifest imported, a fridge with a payload name, the
    volunteer renamed to a payload, one bag in its slot and one reported missing with a payload reason."""
    app = build_app_database(path)
    store = make_engine(app.url)
    now = utc_now()
    try:
        with unit_of_work(store) as session:
            update_volunteer(
                session,
                volunteer_id=app.volunteer.volunteer_id,
                name=VOLUNTEER_NAME,
                phone="",
                roles=sorted(app.volunteer.roles),
                active=True,
                now=now,
                actor_id=app.organizer.volunteer_id,
            )
            create_storage_unit(
                session,
                site_id=app.site_id,
                code="X9",
                name=UNIT_NAME,
                kind="fridge",
                slot_count=2,
                now=now,
                actor_id=app.organizer.volunteer_id,
            )
            table = read_manifest(manifest_csv(), filename="m.csv")
            plan = plan_import(session, site_id=app.site_id, table=table, today=local_today())
            assert not plan.rejected, plan.rejected
            apply_import(session, site_id=app.site_id, plan=plan, now=now, actor_id=app.organizer.volunteer_id)
            add_closed_days(
                session,
                site_id=app.site_id,
                first=local_today(now) + dt.timedelta(days=1),
                note=CLOSED_NOTE,
                actor_id=app.organizer.volunteer_id,
                now=now,
            )
            update_site_rules(
                session,
                site_id=app.site_id,
                changes={"privacy_contact": PRIVACY_CONTACT},
                actor_id=app.organizer.volunteer_id,
                now=now,
            )
        with unit_of_work(store) as session:
            ids = dict(session.execute(select(Order.pickup_code, Order.id).where(Order.phone == PHONE)).all())
            volunteer_id = app.volunteer.volunteer_id
            receive_order(session, order_id=ids[CODE_READY], volunteer_id=volunteer_id, now=now)
            shelve_order(session, order_id=ids[CODE_READY], volunteer_id=volunteer_id, now=now)
            receive_order(session, order_id=ids[CODE_PROBLEM], volunteer_id=volunteer_id, now=now)
            report_problem(session, order_id=ids[CODE_PROBLEM], volunteer_id=volunteer_id, reason=REASON, now=now)
    finally:
        store.dispose()
    return PayloadData(
        app=app,
        volunteer=SignedIn(
            volunteer_id=app.volunteer.volunteer_id, name=VOLUNTEER_NAME, site_id=app.site_id, roles=app.volunteer.roles
        ),
    )


def unescaped(markdown: str) -> str:
    """The text CommonMark leaves after its backslash escapes: what the text-level rules then see."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def markup_from_payload(markdown: str) -> list[str]:
    """What in a Markdown body would render as markup from a payload: raw atoms, and text-level triggers."""
    found = [atom for atom in ATOMS if atom in markdown]
    found += TEXT_TRIGGERS.findall(unescaped(markdown))
    return found


def shown_as_text(markdown: str) -> str:
    """What a person reads of a Markdown body that holds only escaped data (escapes and joiners gone)."""
    return " ".join(unescaped(markdown).replace(WORD_JOINER, "").split())
