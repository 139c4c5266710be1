"""`manage.py expire_offers`: run it every few minutes (cron, a systemd timer)."""

from django.core.management.base import BaseCommand

from stalls.services import offers_expire


class Command(BaseCommand):
    help = (
        "Expire the waitlist offers whose deadline has passed, offering their stalls to the "
        "next vendors waiting, and offer any free stall of a day with vendors waiting. Safe "
        "to run again, and at the same time as another run."
    )

    def handle(self, *args, **options):
        expired = offers_expire()
        self.stdout.write(f"Expired {expired} offer(s).")
