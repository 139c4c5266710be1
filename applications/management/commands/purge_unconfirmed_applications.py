"""`manage.py purge_unconfirmed_applications`: run it daily (cron, a systemd timer)."""

from django.core.management.base import BaseCommand

from applications.services import application_purge_unconfirmed


class Command(BaseCommand):
    help = (
        "Delete applications nobody confirmed within 7 days, with their files. Safe to run "
        "again, and at the same time as another run."
    )

    def handle(self, *args, **options):
        deleted = application_purge_unconfirmed()
        self.stdout.write(f"Deleted {deleted} unconfirmed application(s).")
