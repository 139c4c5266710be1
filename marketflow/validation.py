"""Model validation shared by every write service, so pages, admin and API obey one rule set."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import models

from marketflow.errors import ValidationFailedError


def validation_error_fields(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            field: [str(m) for m in ValidationError(errs).messages]
            for field, errs in error.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in error.messages]}


def only_fields(fields: dict, allowed: tuple[str, ...]) -> dict:
    """``fields`` unchanged, or TypeError naming the ones a service does not let callers set."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Unexpected fields: {', '.join(sorted(unknown))}")
    return fields


def full_clean(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run field validators; uniqueness is left to database constraints (under the lock)."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise ValidationFailedError(fields=validation_error_fields(error)) from None


def validate_new_password(password: str, *, user) -> None:
    """Django's configured password validators, as a domain error on the ``password`` field."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationFailedError(fields={"password": list(error.messages)}) from None
