"""`manage.py purge_unverified_accounts`: run it daily (cron, a systemd timer); safe to repeat."""

from django.conf import settings
from django.core.management.base import BaseCommand

from marketflow.services import unverified_accounts_purge


class Command(BaseCommand):
    help = (
        "Delete organizer sign-ups nobody verified within MARKETFLOW_UNVERIFIED_ACCOUNT_DAYS "
        "days, so they hold no e-mail address. Safe to run repeatedly."
    )

    def handle(self, *args, **options):
        deleted = unverified_accounts_purge()
        days = settings.MARKETFLOW_UNVERIFIED_ACCOUNT_DAYS
        self.stdout.write(f"Deleted {deleted} sign-ups not verified within {days} days.")
