"""Forms of the core's pages. Password strength is the service's rule (Django's validators)."""

from django import forms
from django.contrib.auth import password_validation

from marketflow.models import User


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
