"""The schema: one typed SQLAlchemy model per domain word of docs/glossary.md, constraints included."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Constraint names are part of the schema: Alembic's batch mode on SQLite needs them to alter tables.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STORAGE_CLASSES = ("ambient", "chilled", "frozen")
UNIT_KINDS = ("shelf", "fridge", "freezer")
# Which storage class each kind of unit holds.
UNIT_KIND_FOR_CLASS = {"ambient": "shelf", "chilled": "fridge", "frozen": "freezer"}
ORDER_STATUSES = ("expected", "received", "shelved", "picked_up", "returned", "problem")
# Orders still in the pickup point's hands: their pickup codes must be unique within the site.
OPEN_ORDER_STATUSES = ("expected", "received", "shelved", "problem")
# Open orders still on their way to the resident: what the desk searches and counts. A `problem` bag never closes,
# so it stays out of the desk's indexes.
WAITING_ORDER_STATUSES = ("expected", "received", "shelved")
# Orders that physically sit in a slot.
SLOTTED_ORDER_STATUSES = ("received", "shelved")
ROLES = ("receiving", "handout", "cold_check", "organizer")
ASSIGNMENT_STATUSES = ("signed_up", "checked_in", "checked_out", "no_show", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def status_among(statuses: tuple[str, ...]) -> Any:
    """`orders.status IN ('expected', …)` with the values written out, for a query that must use a partial index:
    a planner proves the index's WHERE from literals, not from bound parameters."""
    return text(_in("orders.status", statuses))


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A moment in time: stored as naive UTC on both databases, always handed back aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC moment is stored")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    rules: Mapped[SiteRules] = relationship(back_populates="site")
    storage_units: Mapped[list[StorageUnit]] = relationship(back_populates="site")

    __table_args__ = (CheckConstraint("length(code) > 0", name="code_not_empty"),)


class SiteRules(Base):
    """The site's written rules (《买菜点管理细则》) as numbers the app enforces."""

    __tablename__ = "site_rules"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    # Days a bag is held, the delivery day counting as day one: `hold_days` for ambient bags; chilled and frozen
    # ones may be held fewer (db.orders.lifecycle.class_hold_days).
    hold_days: Mapped[int] = mapped_column(default=3)
    chilled_hold_days: Mapped[int] = mapped_column(default=3, server_default="3")
    frozen_hold_days: Mapped[int] = mapped_column(default=3, server_default="3")
    opens_at: Mapped[dt.time] = mapped_column(Time, default=dt.time(7, 30))
    closes_at: Mapped[dt.time] = mapped_column(Time, default=dt.time(21, 0))
    chilled_min_c: Mapped[float] = mapped_column(Float, default=0.0)
    chilled_max_c: Mapped[float] = mapped_column(Float, default=8.0)
    frozen_min_c: Mapped[float] = mapped_column(Float, default=-30.0)
    frozen_max_c: Mapped[float] = mapped_column(Float, default=-18.0)
    readings_per_day: Mapped[int] = mapped_column(default=2)
    idle_signout_minutes: Mapped[int] = mapped_column(default=10)
    signout_cutoff_hours: Mapped[int] = mapped_column(default=12)
    chilled_dwell_hours: Mapped[int] = mapped_column(default=24)
    frozen_dwell_hours: Mapped[int] = mapped_column(default=72)
    pickups_per_volunteer_hour: Mapped[int] = mapped_column(default=30)
    # The written rules themselves, plain text, shown to residents as typed.
    rules_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The language of what the app sends for the site (the outbox's texts): a code of ui/i18n.py's LANGUAGES.
    language: Mapped[str] = mapped_column(String(8), default="zh-CN", server_default="zh-CN")
    # Days a closed bag (handed over, returned) keeps its resident's name, phone and address (PIPL Art. 19, 47):
    # then db.privacy.retention anonymises it. See docs/privacy.md.
    personal_data_days: Mapped[int] = mapped_column(default=30, server_default="30")
    # Whom residents ask about their data (the committee's office, a phone number): shown on the residents' page.
    privacy_contact: Mapped[str] = mapped_column(String(100), default="", server_default="")

    site: Mapped[Site] = relationship(back_populates="rules")

    __table_args__ = (
        CheckConstraint("hold_days BETWEEN 1 AND 60", name="hold_days_range"),
        CheckConstraint(
            "chilled_hold_days BETWEEN 1 AND hold_days AND frozen_hold_days BETWEEN 1 AND hold_days",
            name="class_hold_days_range",
        ),
        CheckConstraint("opens_at < closes_at", name="opening_hours_order"),
        CheckConstraint("chilled_min_c < chilled_max_c", name="chilled_range_order"),
        CheckConstraint("frozen_min_c < frozen_max_c", name="frozen_range_order"),
        CheckConstraint("readings_per_day BETWEEN 1 AND 24", name="readings_per_day_range"),
        CheckConstraint("idle_signout_minutes BETWEEN 1 AND 240", name="idle_minutes_range"),
        CheckConstraint("signout_cutoff_hours BETWEEN 0 AND 168", name="cutoff_hours_range"),
        CheckConstraint("chilled_dwell_hours > 0 AND frozen_dwell_hours > 0", name="dwell_positive"),
        CheckConstraint("pickups_per_volunteer_hour > 0", name="pickups_per_hour_positive"),
        CheckConstraint("personal_data_days BETWEEN 1 AND 365", name="personal_data_days_range"),
    )


class WeekdayHours(Base):
    """A weekday whose opening hours differ from the site's usual ones (`site_rules.opens_at`/`closes_at`): other
    hours, or closed all day. Weekdays without a row keep the usual hours."""

    __tablename__ = "weekday_hours"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    weekday: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0 = Monday … 6 = Sunday
    opens_at: Mapped[dt.time | None] = mapped_column(Time)
    closes_at: Mapped[dt.time | None] = mapped_column(Time)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "(closed AND opens_at IS NULL AND closes_at IS NULL)"
            " OR (NOT closed AND opens_at IS NOT NULL AND closes_at IS NOT NULL AND opens_at < closes_at)",
            name="hours_or_closed",
        ),
    )


class ClosedDay(Base):
    """A date the site is closed (a holiday, 春节), with a short note residents see."""

    __tablename__ = "closed_days"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    note: Mapped[str] = mapped_column(String(100), default="")


class Volunteer(Base):
    """A person who takes shifts; organizers are volunteers with the organizer role."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # 长辈模式 for this person's screens once signed in (large text and targets); the tablet's own rules before.
    elder_mode: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    roles: Mapped[list[VolunteerRole]] = relationship(back_populates="volunteer", cascade="all, delete-orphan")
    account: Mapped[Account | None] = relationship(back_populates="volunteer")

    __table_args__ = (CheckConstraint("length(name) > 0", name="name_not_empty"),)


class VolunteerRole(Base):
    """A role a volunteer holds at one site (an organizer may hold it at several sites)."""

    __tablename__ = "volunteer_roles"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    volunteer: Mapped[Volunteer] = relationship(back_populates="roles")

    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role_known"),)


class Account(Base):
    """Credentials: an organizer's username and password, a volunteer's tablet PIN (argon2 hashes)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), unique=True)
    username: Mapped[str | None] = mapped_column(String(50), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    volunteer: Mapped[Volunteer] = relationship(back_populates="account")

    __table_args__ = (
        CheckConstraint("(username IS NULL) = (password_hash IS NULL)", name="username_with_password"),
        CheckConstraint("password_hash IS NOT NULL OR pin_hash IS NOT NULL", name="has_secret"),
    )


class StorageUnit(Base):
    """A shelf, a fridge or a freezer; cold units carry their allowed temperature range."""

    __tablename__ = "storage_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))
    min_temp_c: Mapped[float | None] = mapped_column(Float)
    max_temp_c: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    site: Mapped[Site] = relationship(back_populates="storage_units")
    slots: Mapped[list[Slot]] = relationship(back_populates="storage_unit", order_by="Slot.position")

    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        CheckConstraint(_in("kind", UNIT_KINDS), name="kind_known"),
        CheckConstraint(
            "(kind = 'shelf' AND min_temp_c IS NULL AND max_temp_c IS NULL)"
            " OR (kind <> 'shelf' AND min_temp_c IS NOT NULL AND max_temp_c IS NOT NULL"
            " AND min_temp_c < max_temp_c)",
            name="temperature_range",
        ),
    )


class Slot(Base):
    """A numbered place in a unit (F1-07); one bag at a time."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    storage_unit_id: Mapped[int] = mapped_column(ForeignKey("storage_units.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column()

    storage_unit: Mapped[StorageUnit] = relationship(back_populates="slots")

    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        UniqueConstraint("storage_unit_id", "position"),
        CheckConstraint("position > 0", name="position_positive"),
    )


class Order(Base):
    """One resident's bag from one platform delivery."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    platform: Mapped[str] = mapped_column(String(30))
    order_number: Mapped[str] = mapped_column(String(50))
    pickup_code: Mapped[str] = mapped_column(String(20))
    resident_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    # The last four digits, kept apart so the desk's "phone tail" search can use an index.
    phone_tail: Mapped[str] = mapped_column(String(4))
    address: Mapped[str] = mapped_column(String(100), default="")
    delivery_date: Mapped[dt.date] = mapped_column(Date)
    # The coldest storage class among the items: decides fridge, freezer or shelf.
    storage_class: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="expected")
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    problem_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    shelved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    picked_up_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    picked_up_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    returned_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # A random id shared by one resident's bags at a site (never derived from the phone), given when the first of
    # them is anonymised, so counts per household still add up after the name and phone are gone.
    household_id: Mapped[str | None] = mapped_column(String(32))
    # When the resident's name, phone and address were removed (the retention rule or the resident's request);
    # the address then holds only its building.
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    items: Mapped[list[Item]] = relationship(back_populates="order", cascade="all, delete-orphan", order_by="Item.id")
    slot: Mapped[Slot | None] = relationship()

    __table_args__ = (
        UniqueConstraint("site_id", "platform", "order_number"),
        CheckConstraint(_in("status", ORDER_STATUSES), name="status_known"),
        CheckConstraint(_in("storage_class", STORAGE_CLASSES), name="storage_class_known"),
        CheckConstraint("length(pickup_code) > 0", name="pickup_code_not_empty"),
        CheckConstraint("status <> 'picked_up' OR picked_up_at IS NOT NULL", name="picked_up_time"),
        CheckConstraint("status <> 'problem' OR problem_reason IS NOT NULL", name="problem_reason"),
        # Pickup codes are stored normalized (db.orders.lifecycle.normalize_pickup_code) and compared with `=`.
        # The residents' lookup reads a code's whole history; the desk reads waiting bags only (the partial ones).
        Index("ix_orders_site_pickup_code", "site_id", "pickup_code"),
        Index("ix_orders_site_phone_tail", "site_id", "phone_tail"),
        Index(
            "ix_orders_waiting_pickup_code",
            "site_id",
            "pickup_code",
            sqlite_where=text(_in("status", WAITING_ORDER_STATUSES)),
            postgresql_where=text(_in("status", WAITING_ORDER_STATUSES)),
        ),
        Index(
            "ix_orders_waiting_phone_tail",
            "site_id",
            "phone_tail",
            sqlite_where=text(_in("status", WAITING_ORDER_STATUSES)),
            postgresql_where=text(_in("status", WAITING_ORDER_STATUSES)),
        ),
        # Status then delivery date: the desk's status lists and the overdue count (old bags still in a slot).
        Index("ix_orders_site_status_delivery_date", "site_id", "status", "delivery_date"),
        Index("ix_orders_site_delivery_date", "site_id", "delivery_date"),
        # Handovers of a range of days per site (the daily report, the KPI figures, the recount of a day's longest
        # dwell after an undo); class and check-in time ride along for the dwell.
        Index("ix_orders_site_picked_up_at", "site_id", "picked_up_at", "storage_class", "received_at"),
        # The handover-speed figure reads the bags checked in during the last 48 hours (db.reports.figures).
        Index("ix_orders_site_received_at", "site_id", "received_at"),
        # A pickup code names one bag among the site's open orders.
        Index(
            "uq_orders_open_pickup_code",
            "site_id",
            "pickup_code",
            unique=True,
            sqlite_where=text(_in("status", OPEN_ORDER_STATUSES)),
            postgresql_where=text(_in("status", OPEN_ORDER_STATUSES)),
        ),
        # The retention job's work: bags still naming their resident, by delivery day (a closed bag was delivered
        # before it closed). Anonymised bags leave the index, so it stays a few weeks long.
        Index(
            "ix_orders_identifiable",
            "site_id",
            "delivery_date",
            sqlite_where=text("anonymised_at IS NULL"),
            postgresql_where=text("anonymised_at IS NULL"),
        ),
        # A slot holds one bag at a time.
        Index(
            "uq_orders_occupied_slot",
            "slot_id",
            unique=True,
            sqlite_where=text(_in("status", SLOTTED_ORDER_STATUSES)),
            postgresql_where=text(_in("status", SLOTTED_ORDER_STATUSES)),
        ),
    )


class DeliveryRollup(Base):
    """Counts of one delivery day's orders per site, platform and storage class, kept by db.orders.rollups in the
    transaction of every change that moves an order (see docs/schema.md, "Rollups")."""

    __tablename__ = "delivery_rollups"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    delivery_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(30), primary_key=True)
    storage_class: Mapped[str] = mapped_column(String(10), primary_key=True)
    # A key's counts may be split over a few rows: shard 0 (a rebuild), or on PostgreSQL the writer's own shard
    # when every row of the key was locked by another open transaction (db.orders.rollups). Figures sum them.
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=0)
    orders: Mapped[int] = mapped_column(default=0)
    received: Mapped[int] = mapped_column(default=0)
    shelved: Mapped[int] = mapped_column(default=0)
    picked_up: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)
    problems: Mapped[int] = mapped_column(default=0)
    picked_up_24h: Mapped[int] = mapped_column(default=0)
    picked_up_48h: Mapped[int] = mapped_column(default=0)


class DayRollup(Base):
    """Counts per site, local day of the event, platform and storage class: check-ins, handovers, returns, the
    summed dwell of the handovers and the longest of them, kept like DeliveryRollup."""

    __tablename__ = "day_rollups"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(30), primary_key=True)
    storage_class: Mapped[str] = mapped_column(String(10), primary_key=True)
    # 0, or on PostgreSQL another number when the row of shard 0 was locked by a transaction still open (as in
    # DeliveryRollup).
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=0)
    received: Mapped[int] = mapped_column(default=0)
    picked_up: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)
    dwell_count: Mapped[int] = mapped_column(default=0)
    dwell_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    # The longest dwell of the key's handovers, in milliseconds (0 without one): a handover raises it, and an undo
    # of the longest recounts it from the orders of that day (db.orders.rollups). Of several shards, the largest
    # holds.
    dwell_max_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class HourRollup(Base):
    """Check-ins, handovers and returns per site, local day and hour of the event (all platforms and classes
    together), kept like DeliveryRollup."""

    __tablename__ = "hour_rollups"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # 0, or on PostgreSQL another number when the row of shard 0 was locked by a transaction still open (as in
    # DeliveryRollup).
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=0)
    received: Mapped[int] = mapped_column(default=0)
    picked_up: Mapped[int] = mapped_column(default=0)
    returned: Mapped[int] = mapped_column(default=0)


# The left day of a bag still in its slot (a key column cannot be NULL): later than any real day.
STILL_HELD = dt.date(9999, 12, 31)


class HeldRollup(Base):
    """Bags that sat in a slot, per site, the local day they left (STILL_HELD while still there), the local day they
    were checked in, delivery date and storage class; bags reported as a problem are left out. Kept like
    DeliveryRollup; the stock and overdue cards and the overdue trend read it instead of the bags."""

    __tablename__ = "held_rollups"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    left_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    received_day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    delivery_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    storage_class: Mapped[str] = mapped_column(String(10), primary_key=True)
    # 0, or on PostgreSQL another number when the row of shard 0 was locked by a transaction still open (as in
    # DeliveryRollup).
    shard: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=0)
    bags: Mapped[int] = mapped_column(default=0)


class Item(Base):
    """A line of an order: product, quantity, storage class."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column()
    storage_class: Mapped[str] = mapped_column(String(10))

    order: Mapped[Order] = relationship(back_populates="items")

    __table_args__ = (
        CheckConstraint("quantity > 0 AND quantity <= 999", name="quantity_range"),
        CheckConstraint(_in("storage_class", STORAGE_CLASSES), name="storage_class_known"),
        CheckConstraint("length(product) > 0", name="product_not_empty"),
    )


class TemperatureReading(Base):
    """One reading of one cold unit; out of range carries its corrective action."""

    __tablename__ = "temperature_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    storage_unit_id: Mapped[int] = mapped_column(ForeignKey("storage_units.id"))
    reading_c: Mapped[float] = mapped_column(Float)
    taken_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    in_range: Mapped[bool] = mapped_column(Boolean)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    # Why a reading was entered after the fact.
    late_reason: Mapped[str | None] = mapped_column(Text)
    # A correction after the day was signed off points at the reading it corrects.
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("temperature_readings.id"))

    __table_args__ = (
        CheckConstraint("reading_c BETWEEN -40 AND 40", name="reading_range"),
        CheckConstraint("in_range OR corrective_action IS NOT NULL", name="corrective_action"),
        Index("ix_temperature_readings_unit_taken", "storage_unit_id", "taken_at"),
        Index("ix_temperature_readings_site_taken", "site_id", "taken_at"),
    )


class TemperatureSignOff(Base):
    """An organizer's sign-off of one day's temperature log; the day is locked after it."""

    __tablename__ = "temperature_sign_offs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    signed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("site_id", "day"),)


class ShiftTemplate(Base):
    """A weekly recurring shift, generated into dated shifts."""

    __tablename__ = "shift_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    weekday: Mapped[int] = mapped_column()  # Monday = 0
    starts: Mapped[dt.time] = mapped_column(Time)
    ends: Mapped[dt.time] = mapped_column(Time)
    role: Mapped[str] = mapped_column(String(20))
    min_staff: Mapped[int] = mapped_column()
    max_staff: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="time_order"),
        CheckConstraint(_in("role", ROLES), name="role_known"),
        CheckConstraint("min_staff >= 1 AND min_staff <= max_staff", name="staff_range"),
    )


class Shift(Base):
    """A dated time window at a site for a role, with minimum and maximum staffing."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("shift_templates.id"))
    role: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    min_staff: Mapped[int] = mapped_column()
    max_staff: Mapped[int] = mapped_column()
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("template_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="time_order"),
        CheckConstraint(_in("role", ROLES), name="role_known"),
        CheckConstraint("min_staff >= 1 AND min_staff <= max_staff", name="staff_range"),
        Index("ix_shifts_site_starts_at", "site_id", "starts_at"),
    )


class Assignment(Base):
    """A volunteer on a shift: signed up, checked in, checked out, no-show or cancelled."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="signed_up")
    signed_up_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Set when the check-out was closed by the app because the volunteer forgot it.
    auto_checked_out: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("shift_id", "volunteer_id"),
        CheckConstraint(_in("status", ASSIGNMENT_STATUSES), name="status_known"),
        CheckConstraint(
            "checked_out_at IS NULL OR (checked_in_at IS NOT NULL AND checked_out_at >= checked_in_at)",
            name="check_out_after_in",
        ),
    )


class Event(Base):
    """Append-only record of a state change: who, when, what, on which entity, before and after."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    happened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int | None] = mapped_column()
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The one change the log allows (its triggers refuse every other UPDATE and every DELETE): personal data taken
    # out of before/after once, by db.privacy.retention; who, what, when and on what stay.
    scrubbed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_events_entity", "entity", "entity_id"),
        Index("ix_events_site_happened_at", "site_id", "happened_at"),
    )


EXCURSION_OUTCOMES = ("checked_ok", "discarded", "resident_informed")


class ExcursionCheck(Base):
    """An organizer's verdict on one bag that sat in a unit during a temperature excursion."""

    __tablename__ = "excursion_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    storage_unit_id: Mapped[int] = mapped_column(ForeignKey("storage_units.id"))
    # The out-of-range reading that started the excursion names it.
    reading_id: Mapped[int] = mapped_column(ForeignKey("temperature_readings.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    checked_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint(_in("outcome", EXCURSION_OUTCOMES), name="outcome_known"),)


# What a failed try is counted against (db/people/throttling.py says why each exists).
LOOKUP_SCOPES = ("client", "code", "code_client", "account", "account_client")


class LookupAttempt(Base):
    """A failed sign-in or order-status lookup, kept a day for throttling; the key is a keyed hash, never clear."""

    __tablename__ = "lookup_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The site asked about; a client's tries count across sites, so theirs carry none.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint(_in("scope", LOOKUP_SCOPES), name="scope_known"),
        Index("ix_lookup_attempts_scope_key", "scope", "key_hash", "attempted_at"),
        Index("ix_lookup_attempts_attempted_at", "attempted_at"),
    )


class AppSecret(Base):
    """A secret the app made for itself on first start (the lookup hash key); an environment variable overrides it."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class KeptSecret(Base):
    """A secret the app made for itself that must come back with a restore, so it is in every backup, unlike
    app_secrets: the key of the SMS opt-outs' hashes (db/outbox/opt_outs.py). An environment variable overrides it."""

    __tablename__ = "kept_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


DEVICE_KINDS = ("tablet", "browser")


class Device(Base):
    """A browser the app knows by a token in its cookie: a counter tablet an organizer enrolled, or a person's own
    browser remembered at sign-in. Tries made elsewhere never slow a known device down."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    # Whose browser it is; None for a tablet, which the whole site shares.
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"))
    # SHA-256 of the cookie's random token: the table alone does not let anyone act as the device.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The counter tablet's own settings: 长辈模式 on its sign-in screen, and the voice at the counter (None: on in
    # elder mode, off otherwise), at a volume from 0 to 100.
    elder_mode: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    voice_on: Mapped[bool | None] = mapped_column(Boolean)
    voice_volume: Mapped[int] = mapped_column(default=80, server_default="80")

    __table_args__ = (
        CheckConstraint(_in("kind", DEVICE_KINDS), name="kind_known"),
        CheckConstraint("voice_volume BETWEEN 0 AND 100", name="voice_volume_range"),
        CheckConstraint("(kind = 'browser') = (volunteer_id IS NOT NULL)", name="browser_has_owner"),
    )


LOGIN_AUDIENCES = ("volunteer", "organizer")
SESSION_END_REASONS = ("signed_out", "idle", "secret_changed", "ended_by_organizer", "device_revoked", "role_removed")


class LoginSession(Base):
    """A sign-in that outlives a reload: the browser holds a random token in a cookie, the table its hash."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(10))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)
    # Sliding expiry: each sign of life moves expires_at to last_seen_at + idle_minutes.
    idle_minutes: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        CheckConstraint(_in("audience", LOGIN_AUDIENCES), name="audience_known"),
        CheckConstraint("idle_minutes > 0", name="idle_minutes_positive"),
        CheckConstraint(
            "(ended_at IS NULL) = (end_reason IS NULL) AND (end_reason IS NULL OR "
            + _in("end_reason", SESSION_END_REASONS)
            + ")",
            name="ended_with_reason",
        ),
    )


# The outbox (db/outbox): every message the app sends is a row first, sent by the runner (`python -m db jobs run`).
CHANNELS = ("wecom", "sms", "copy")
# Who a message is for: the site's staff group (the WeCom robot), the organizers (the same group, their lines),
# one volunteer (@ by mobile in the staff group), one resident (SMS to their own phone).
AUDIENCES = ("staff", "organizers", "volunteer", "resident")
# due → sending → sent | failed (tried again later) → given_up; due → cancelled; a runner killed mid-send leaves
# sending, which the next runner settles with an SMS provider or marks unknown (the robot cannot be asked).
# copied: a text an organizer copied into a personal WeChat group by hand.
MESSAGE_STATUSES = ("due", "sending", "sent", "failed", "given_up", "cancelled", "unknown", "copied")


class Message(Base):
    """One message the app sends (or a volunteer copied), from the moment it is due until it is settled."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    audience: Mapped[str] = mapped_column(String(12))
    # The template: a key of what is said (shift_reminder_24h, overdue_reminder, …); its text is in the catalogs.
    kind: Mapped[str] = mapped_column(String(40))
    # Where it goes: a resident's phone for SMS, a volunteer's mobile to @ in the staff group; None for a group.
    recipient: Mapped[str | None] = mapped_column(String(32))
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))
    # The template's values, as filled in (the SMS provider's variables are these).
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The text as sent, in the site's language.
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default="due")
    attempts: Mapped[int] = mapped_column(default=0)
    # Which runner holds it while sending, since when.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # The id the app gave the provider with the request (SMS OutId), the provider's own (BizId), its last answer.
    request_id: Mapped[str | None] = mapped_column(String(64))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    provider_answer: Mapped[str | None] = mapped_column(Text)
    # One key per thing said once (a shift's 24-hour reminder): a second runner, or a second run, adds nothing.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    # What it is about: the shift, the cold unit's reading; bags through message_orders.
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("shifts.id", ondelete="SET NULL"), index=True)
    reading_id: Mapped[int | None] = mapped_column(
        ForeignKey("temperature_readings.id", ondelete="SET NULL"), index=True
    )
    storage_unit_id: Mapped[int | None] = mapped_column(ForeignKey("storage_units.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # An organizer who queued, copied, retried or cancelled it; None for the runner's own.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))
    # When its recipient, values and text were emptied because a bag it was about was anonymised.
    scrubbed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        CheckConstraint(_in("audience", AUDIENCES), name="audience_known"),
        CheckConstraint(_in("status", MESSAGE_STATUSES), name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The runner's claim: what is due, oldest first.
        Index("ix_messages_status_due_at", "status", "due_at"),
        # The robot's 20 a minute: what one site's channel sent lately.
        Index("ix_messages_site_channel_sent_at", "site_id", "channel", "sent_at"),
        # SMS: 50 a day to one phone per template.
        Index("ix_messages_recipient_kind_sent_at", "recipient", "kind", "sent_at"),
        # The outbox page: a site's messages by day.
        Index("ix_messages_site_due_at", "site_id", "due_at"),
    )


class MessageOrder(Base):
    """A bag a message was about (a resident's overdue reminder names all their bags in one)."""

    __tablename__ = "message_orders"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, index=True)


class SiteChannel(Base):
    """A channel set up for a site, and what of it is not secret (the SMS signature and template codes)."""

    __tablename__ = "site_channels"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))

    __table_args__ = (CheckConstraint(_in("channel", ("wecom", "sms")), name="channel_known"),)


class ChannelSecret(Base):
    """A channel's secret (the robot's webhook URL with its key, the SMS access keys): written by organizers, read
    only by the runner; pages show its last four characters. Not in portable backups (db/core/backup.py)."""

    __tablename__ = "channel_secrets"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    last_four: Mapped[str] = mapped_column(String(4))
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))


class NotificationSwitch(Base):
    """A kind of message a site turned off (or on again); a kind without a row is on where the channel is set up."""

    __tablename__ = "notification_switches"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))


class SmsOptOut(Base):
    """A resident who asked at the desk for no more SMS: a keyed hash of the number, never the number."""

    __tablename__ = "sms_opt_outs"

    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id", ondelete="SET NULL"))


class JobRun(Base):
    """One run of the scheduled jobs (`python -m db jobs run`): the dashboard warns when none ran lately."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    runner: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # What the run did, by what: {"queued": 3, "sent": 2, "failed": 0, "refused": 1, …}.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)


# What an organizer saw or took of residents' personal data (db/privacy/access.py), and why.
ACCESS_KINDS = ("phone_shown", "export_unmasked", "resident_found", "resident_exported", "resident_anonymised")
ACCESS_REASONS = ("call", "platform_dispute", "resident_request", "other")


class AccessRecord(Base):
    """One look at personal data beyond the masked default: who, when, why, which bag or household, how many rows.
    It names a household by its random id, never by the number that was looked up."""

    __tablename__ = "access_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    happened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(String(20))
    # What the organizer wrote when the reason is "other" (or to add to another), as typed.
    note: Mapped[str | None] = mapped_column(Text)
    # The bag whose number was shown; the household a resident's request was about.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    household_id: Mapped[str | None] = mapped_column(String(32))
    # Which list an export was of (orders, overdue_calls, …) and how many rows it held.
    subject: Mapped[str | None] = mapped_column(String(40))
    row_count: Mapped[int | None] = mapped_column()

    __table_args__ = (
        CheckConstraint(_in("kind", ACCESS_KINDS), name="kind_known"),
        CheckConstraint(_in("reason", ACCESS_REASONS), name="reason_known"),
        CheckConstraint("row_count IS NULL OR row_count >= 0", name="row_count_not_negative"),
        Index("ix_access_records_site_happened_at", "site_id", "happened_at"),
    )
