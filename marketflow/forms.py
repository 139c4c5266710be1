"""Forms of the core's pages. Password strength is the service's rule (Django's validators)."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import NON_FIELD_ERRORS

from marketflow import services
from marketflow.currencies import money_amount, parse_money
from marketflow.errors import DomainError
from marketflow.models import User


def add_domain_error_to_form(form: forms.BaseForm, error: DomainError, *, about: str = "") -> None:
    """Put a service's refusal on the form a person submitted, for pages and the admin alike.

    Field messages go next to their fields (``vendor_id`` next to ``vendor``); a message about
    a field the form does not have goes on top, named; any other error on top. ``about`` names
    an inline row of an admin page: its messages all go on top, prefixed with it."""
    prefix = f"{about}: " if about else ""
    fields = error.extra.get("fields") or {}
    for name, messages in fields.items():
        field = name if name in form.fields else name.removesuffix("_id")
        for message in messages:
            if field in form.fields and not about:
                form.add_error(field, message)
            elif name in (NON_FIELD_ERRORS, "non_field_errors"):
                form.add_error(None, f"{prefix}{message}")
            else:
                form.add_error(None, f"{prefix}{name.replace('_', ' ')}: {message}")
    if not fields:
        form.add_error(None, f"{prefix}{error.message}")


class MoneyField(forms.Field):
    """An amount typed in units of the market's currency (``25.00``), cleaned to integer
    cents (``2500``) and shown back as units: every form that takes an amount uses it.
    ``currency`` may be set after the form is built (the market is known only then)."""

    widget = forms.TextInput

    def __init__(self, *, currency: str = "USD", **kwargs):
        self.currency = currency
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off"}

    def prepare_value(self, value):
        if isinstance(value, int):
            return money_amount(value, self.currency)
        return value

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        if isinstance(value, int):
            return value
        return parse_money(str(value), self.currency)


class PasswordPairForm(forms.Form):
    """A new password typed twice. Its strength is checked by the service, which knows the
    account the password is for."""

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", "The two passwords differ.")
        return cleaned


class OrganizerSignUpForm(PasswordPairForm):
    email = forms.EmailField(
        label="E-mail",
        max_length=User._meta.get_field("email").max_length,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    full_name = forms.CharField(
        label="Your name",
        required=False,
        max_length=User._meta.get_field("full_name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["email", "full_name", "password", "password_again"]


class PasswordResetSetForm(auth_forms.SetPasswordForm):
    """Django's form behind a password-reset link; the new password ends the API tokens."""

    def save(self, commit=True):
        user = super().save(commit)
        services.user_tokens_revoke(user=user)
        return user


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's, with the link built from ``MARKETFLOW_BASE_URL``, never the request's Host.
    An organizer who never verified their address has no password to reset yet (Django
    sends nothing to an inactive account): they get the verification link again."""

    def save(self, **kwargs):
        base = urlsplit(settings.MARKETFLOW_BASE_URL)
        kwargs.update(domain_override=base.netloc, use_https=base.scheme == "https")
        services.organizer_verification_resend(email=self.cleaned_data["email"])
        return super().save(**kwargs)


class EmailAddressForm(forms.Form):
    """One e-mail address, for the pages that send a new link to it."""

    email = forms.EmailField(
        label="E-mail",
        max_length=User._meta.get_field("email").max_length,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
