"""``add_domain_error_to_form``: the one translation of a service's refusal onto the form a
person submitted, on the public pages and in the admin."""

from django import forms

from marketflow.errors import MarketSlugTakenError, ValidationFailedError
from marketflow.forms import add_domain_error_to_form


class BookingForm(forms.Form):
    vendor = forms.CharField(required=False)
    note = forms.CharField(required=False)


def refused_form(error, **kwargs) -> BookingForm:
    form = BookingForm(data={})
    assert form.is_valid()
    add_domain_error_to_form(form, error, **kwargs)
    return form


def test_field_messages_go_next_to_their_fields_ids_next_to_the_object():
    error = ValidationFailedError(fields={"note": ["Too long."], "vendor_id": ["Not accepted."]})

    form = refused_form(error)

    assert form.errors == {"note": ["Too long."], "vendor": ["Not accepted."]}


def test_a_field_the_form_lacks_goes_on_top_named_and_form_wide_ones_unnamed():
    error = ValidationFailedError(
        fields={"price_per_day": ["Must be positive."], "__all__": ["Dates overlap."]}
    )

    form = refused_form(error)

    assert form.non_field_errors() == ["price per day: Must be positive.", "Dates overlap."]


def test_any_other_error_goes_on_top_with_its_message():
    form = refused_form(MarketSlugTakenError())

    assert form.errors == {"__all__": [MarketSlugTakenError.default_message]}


def test_an_inline_rows_refusal_goes_on_top_naming_the_row():
    error = ValidationFailedError(fields={"note": ["Too long."]})

    form = refused_form(error, about="Stall A1")

    assert form.errors == {"__all__": ["Stall A1: note: Too long."]}
