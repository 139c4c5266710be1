"""`manage.py send_sales_reminders`: run it daily (or hourly: a vendor gets one a day)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from sales.services import sales_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail each vendor who has booked market days not reported, whose deadline has not "
        "passed, one reminder listing them: at most one a day per vendor. Safe to run again, "
        "and at the same time as another run."
    )

    def handle(self, *args, **options):
        sent = sales_reminders_send(today=timezone.localdate())
        self.stdout.write(f"Sent {len(sent)} sales reminder(s).")
