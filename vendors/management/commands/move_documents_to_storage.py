"""`manage.py move_documents_to_storage`: once, after AWS_STORAGE_BUCKET_NAME is set, to move
the documents a server kept on its disk into the bucket. Safe to run again."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError

from marketflow.errors import DomainError
from vendors.services import documents_move


class Command(BaseCommand):
    help = (
        "Move every document's file from a local media directory into the configured "
        "storage (the bucket), under the same name; each local file is deleted once the "
        "bucket holds it whole. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="source",
            default=str(settings.MEDIA_ROOT),
            help="The local media directory (default: MEDIA_ROOT, DJANGO_MEDIA_ROOT).",
        )

    def handle(self, *args, source, **options):
        if isinstance(default_storage, FileSystemStorage):
            raise CommandError(
                "Documents are stored on this server's disk: set AWS_STORAGE_BUCKET_NAME "
                "(and the other AWS_* variables) first."
            )
        try:
            result = documents_move(
                source=FileSystemStorage(location=source), target=default_storage
            )
        except DomainError as error:
            raise CommandError(f"{error.message} {error.extra}") from error
        for name in result.missing:
            self.stderr.write(f"Missing in {source} and in the bucket: {name}")
        self.stdout.write(
            f"Moved {len(result.moved)} file(s); {len(result.already_there)} already in the "
            f"bucket; {len(result.missing)} missing."
        )
        if result.missing:
            raise CommandError(f"{len(result.missing)} document file(s) were found nowhere.")
