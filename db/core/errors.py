"""Domain errors: each carries a message key the pages translate, plus the values the message needs."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """A rule of the store refused an operation; `key` names the message in the UI catalogs."""

    key = "error.store"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(f"{self.key} {params}" if params else self.key)


class NotFound(StoreError):
    key = "error.not_found"


class InvalidValue(StoreError):
    key = "error.invalid_value"


class WrongState(StoreError):
    """The row is not in the state the operation needs (another tablet got there first)."""

    key = "error.wrong_state"


class AlreadyHandedOver(WrongState):
    key = "error.already_handed_over"


class NoFreeSlot(StoreError):
    key = "error.no_free_slot"


class NotDueYet(StoreError):
    """A bag of a later delivery day scanned at check-in (tomorrow's label sheet, or a bag truly come early): it is
    not checked in unless the volunteer says it is here today."""

    key = "error.delivery_not_due"


class DuplicateValue(StoreError):
    key = "error.duplicate"


class SignInFailed(StoreError):
    key = "error.sign_in_failed"


class NotAllowed(StoreError):
    key = "error.not_allowed"


class TooManyAttempts(StoreError):
    """Too many failed lookups from one client or for one pickup code: wait until `until`."""

    key = "error.too_many_attempts"


class PausedForToday(TooManyAttempts):
    """A name with a day's worth of wrong tries: refused until `until` (the next local day) or an organizer's lift."""

    key = "error.paused_for_today"


class FullPhoneNeeded(StoreError):
    """This pickup code drew many wrong phone tails: the resident must give the whole phone number."""

    key = "error.full_phone_needed"


class CollectorCheckExhausted(StoreError):
    """A bag found by phone tail or name drew too many wrong codes or phone numbers at the desk today."""

    key = "error.collector_check_exhausted"


class ManifestUnreadable(StoreError):
    """The file as a whole cannot be used (a manifest, a volunteers' list): nothing is imported."""

    key = "error.manifest_unreadable"


class BackupUnreadable(StoreError):
    """Not a backup this app can read: missing, truncated, corrupt, or of an unknown kind."""

    key = "error.backup_unreadable"


class BackupNotVerified(StoreError):
    """Rows restored differ from the backup's per-table counts or checksums; the restore was undone."""

    key = "error.backup_not_verified"


class BackupFailed(StoreError):
    """The backup could not be made or written (a full disk, pg_dump refusing); nothing was left at the path."""

    key = "error.backup_failed"


class DatabaseNotEmpty(StoreError):
    """A restore goes into an empty database unless it is told to replace what is there."""

    key = "error.database_not_empty"
