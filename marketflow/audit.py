"""Who changed what, and when: rows of Django admin's LogEntry, written by the services.

Every decision on an application and every change of a booking is recorded inside the
service's transaction (so a change that rolls back leaves no record, and a record cannot be
lost while its change commits), whichever face made it: API, pages or admin. The admin shows
the entries on the object's "History" page; they stay when the object changes again, and an
entry keeps the object's description (``object_repr``) when the object itself is deleted. A
cancelled booking is also recorded on its market day, whose history page outlives it.
"""

from collections.abc import Iterable

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

__all__ = ["ADDITION", "CHANGE", "DELETION", "audit_record", "audit_records"]


def _entry(user, obj: models.Model, message: str, action: int) -> LogEntry:
    return LogEntry(
        user_id=user.pk,
        # As the admin looks entries up for an object's history page.
        content_type_id=ContentType.objects.get_for_model(obj, for_concrete_model=False).pk,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=action,
        change_message=message,
    )


def audit_record(*, user, obj: models.Model, message: str, action: int = CHANGE) -> LogEntry:
    """Record that ``user`` did ``message`` to ``obj`` now. Call it inside the transaction
    of the change it records."""
    entry = _entry(user, obj, message, action)
    entry.save()
    return entry


def audit_records(*, user, entries: Iterable[tuple[models.Model, str, int]]) -> None:
    """Several records in one insert: ``entries`` are (object, message, action) triples."""
    LogEntry.objects.bulk_create([_entry(user, *entry) for entry in entries])
