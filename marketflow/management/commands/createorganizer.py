"""`manage.py createorganizer EMAIL --password P [--plan free|paid]`, for operators and scripts."""

from django.core.management.base import BaseCommand, CommandError

from marketflow.errors import DomainError
from marketflow.models import User, normalize_email
from marketflow.services import organizer_create
from marketflow.validation import validate_new_password


def domain_error_text(error: DomainError) -> str:
    """The error's message followed by its field messages, one per line."""
    fields = error.extra.get("fields", {})
    lines = [f"{name}: {message}" for name, messages in fields.items() for message in messages]
    return "\n".join([error.message, *lines])


class Command(BaseCommand):
    help = (
        "Create an organizer who can sign in to the API and the admin site. Non-interactive; "
        "the password must pass the configured password validators."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--password", required=True)
        parser.add_argument("--plan", choices=User.Plan.values, default=User.Plan.FREE)
        parser.add_argument("--full-name", default="")

    def handle(self, *args, email, password, plan, full_name, **options):
        try:
            # The validators compare the password with the e-mail, so give them an unsaved user.
            validate_new_password(
                password, user=User(email=normalize_email(email), full_name=full_name)
            )
            user = organizer_create(email=email, password=password, plan=plan, full_name=full_name)
        except DomainError as error:
            raise CommandError(domain_error_text(error)) from None
        self.stdout.write(f"Created organizer {user.email} on the {user.plan} plan.")
