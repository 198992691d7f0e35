"""What goes on printed labels: one per slot of a shelf, fridge or freezer, and one per bag of a delivery.

A slot label carries the slot code (its QR code holds the same text); a bag label carries the pickup code, the slot,
the resident's masked name and the QR payload the desk's scanner reads (`CB1:<site>:<code>`). Drawing them is the
UI's job; this module only reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.core.models import UNIT_KIND_FOR_CLASS, WAITING_ORDER_STATUSES, Order, Site, Slot, StorageUnit
from db.core.privacy import mask_name
from db.orders.lifecycle import qr_payload

# Unit kind → the storage class its slots hold (a fridge holds chilled bags).
CLASS_FOR_UNIT_KIND = {kind: storage_class for storage_class, kind in UNIT_KIND_FOR_CLASS.items()}


@dataclass(frozen=True)
class SlotLabel:
    slot_code: str
    unit_code: str
    unit_name: str
    storage_class: str

    @property
    def payload(self) -> str:
        return self.slot_code


@dataclass(frozen=True)
class BagLabel:
    pickup_code: str
    slot_code: str | None
    masked_name: str
    storage_class: str
    payload: str


def list_slot_labels(session: Session, *, site_id: int, storage_unit_id: int | None = None) -> list[SlotLabel]:
    """Every slot of the site's active units (or of one unit), in unit and position order."""
    conditions = [Slot.site_id == site_id, StorageUnit.active.is_(True)]
    if storage_unit_id is not None:
        conditions.append(StorageUnit.id == storage_unit_id)
    rows = session.execute(
        select(Slot.code, StorageUnit.code, StorageUnit.name, StorageUnit.kind)
        .join(StorageUnit, StorageUnit.id == Slot.storage_unit_id)
        .where(*conditions)
        .order_by(StorageUnit.code, Slot.position)
    ).all()
    return [
        SlotLabel(slot_code=slot, unit_code=unit, unit_name=name, storage_class=CLASS_FOR_UNIT_KIND[kind])
        for slot, unit, name, kind in rows
    ]


def list_bag_labels(session: Session, *, site_id: int, delivery_date: dt.date) -> list[BagLabel]:
    """The bags of one delivery still on their way to the resident (expected, received, shelved), by slot then
    pickup code: bags without a slot yet come last."""
    site_code = session.scalar(select(Site.code).where(Site.id == site_id))
    rows = session.execute(
        select(Order.pickup_code, Slot.code, Order.resident_name, Order.storage_class)
        .outerjoin(Slot, Slot.id == Order.slot_id)
        .where(
            Order.site_id == site_id,
            Order.delivery_date == delivery_date,
            Order.status.in_(WAITING_ORDER_STATUSES),
        )
        .order_by(Slot.code.is_(None), Slot.code, Order.pickup_code)
    ).all()
    return [
        BagLabel(
            pickup_code=code,
            slot_code=slot,
            masked_name=mask_name(name),
            storage_class=storage_class,
            payload=qr_payload(site_code=site_code or "", pickup_code=code),
        )
        for code, slot, name, storage_class in rows
    ]
