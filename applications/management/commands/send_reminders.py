"""`manage.py send_reminders`: run it daily (cron, a systemd timer)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from applications.services import document_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail vendors whose required documents expire in 30 or 7 days, or lapsed: each "
        "reminder once per document. Safe to run again, and at the same time as another run."
    )

    def handle(self, *args, **options):
        sent = document_reminders_send(today=timezone.localdate())
        self.stdout.write(f"Sent {len(sent)} document reminder(s).")
