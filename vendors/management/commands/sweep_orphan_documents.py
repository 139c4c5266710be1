"""`manage.py sweep_orphan_documents`: run it daily (cron, a systemd timer); safe to repeat."""

import datetime

from django.core.management.base import BaseCommand

from vendors.services import document_orphans_sweep


class Command(BaseCommand):
    help = (
        "Delete stored document files that no document names (left by a write that failed "
        "after storing them), once older than --hours. Safe to run repeatedly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=int,
            default=24,
            help="Only files stored at least this many hours ago (default 24): a younger one "
            "may belong to an upload still in progress.",
        )

    def handle(self, *args, hours, **options):
        swept = document_orphans_sweep(older_than=datetime.timedelta(hours=hours))
        for name in swept:
            self.stdout.write(f"Deleted {name}")
        self.stdout.write(f"Deleted {len(swept)} file(s) no document names.")
