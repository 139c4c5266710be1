"""Forms of the vendor's pages. Field rules come from the model (lengths, the category rule,
the document file rule), so pages, admin and API refuse the same input."""

import uuid

from django import forms

from marketflow.models import DocumentType
from vendors.models import (
    PRODUCT_CATEGORIES_ERROR_MESSAGES,
    PUBLIC_DESCRIPTION_MAX_LENGTH,
    ProductCategory,
    Vendor,
    validate_document_file,
    validate_product_categories,
)


def _max_length(name: str) -> int:
    return Vendor._meta.get_field(name).max_length


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DocumentFileField(forms.FileField):
    """A PDF, JPEG, PNG or WebP file by its content, not empty, at most 10 MB."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        file = super().clean(data, initial)
        if file:
            validate_document_file(file)
        return file


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleDocumentFileField(DocumentFileField):
    """Several files in one input (product photos); cleans to a list."""

    def __init__(self, *, max_files: int, **kwargs):
        self.max_files = max_files
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(files) > self.max_files:
            raise forms.ValidationError(
                "Attach at most %(max)d files here.", params={"max": self.max_files}
            )
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleDocumentFileField, self).clean(file, initial) for file in files]


class VendorProfileForm(forms.Form):
    """The profile a vendor keeps, and submits with each application."""

    business_name = forms.CharField(
        label="Business name",
        max_length=_max_length("business_name"),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    contact_name = forms.CharField(
        label="Contact name",
        max_length=_max_length("contact_name"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=_max_length("phone"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel", "inputmode": "tel"}),
    )
    product_categories = forms.MultipleChoiceField(
        label="What do you sell?",
        choices=ProductCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        validators=[validate_product_categories],
        error_messages={"required": PRODUCT_CATEGORIES_ERROR_MESSAGES["blank"]},
    )
    description = forms.CharField(
        label="About your business",
        required=False,
        max_length=Vendor._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def profile(self) -> dict:
        return {name: self.cleaned_data[name] for name in VendorProfileForm.base_fields}


class DocumentReplaceForm(forms.Form):
    """A new file for a document the vendor has: its kind stays."""

    file = DocumentFileField(
        label="File",
        required=True,
        help_text="PDF, JPEG, PNG or WebP, at most 10 MB.",
    )
    expires_on = forms.DateField(
        label="Expires on", required=False, widget=DateInput, help_text="If it has an end date."
    )


class DocumentUploadForm(DocumentReplaceForm):
    document_type = forms.ChoiceField(label="Kind of document", choices=DocumentType.choices)
    field_order = ["document_type", "file", "expires_on"]


class UUIDsField(forms.TypedMultipleChoiceField):
    """Several ids (checkboxes named alike): any well-formed UUIDs, whose meaning the
    service judges."""

    def __init__(self, **kwargs):
        super().__init__(coerce=uuid.UUID, **kwargs)

    def valid_value(self, value) -> bool:
        try:
            uuid.UUID(str(value))
        except ValueError:
            return False
        return True


class PayBookingsForm(forms.Form):
    """The vendor's choice of unpaid bookings of one market to pay in one card payment."""

    market = forms.UUIDField(widget=forms.HiddenInput)
    bookings = UUIDsField()


class VendorListingForm(forms.Form):
    """The vendor's public listing on the pages of the markets that accepted them."""

    directory_listed = forms.BooleanField(
        label="List me on the public page of the markets that accepted me",
        required=False,
        help_text="Visitors see your business name, categories, this description and the "
        "photo; never your e-mail, phone or contact name.",
    )
    public_description = forms.CharField(
        label="Short description for visitors",
        required=False,
        max_length=PUBLIC_DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label="Photo",
        required=False,
        help_text="JPEG, PNG or WebP, at most 5 MB. We store a copy of at most 1200 pixels a "
        "side, without the camera's details (such as where it was taken).",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_photo = forms.BooleanField(label="Remove the current photo", required=False)

    def listing(self) -> dict:
        data = self.cleaned_data
        return {
            "directory_listed": data["directory_listed"],
            "public_description": data["public_description"],
            "photo": data["photo"],
            "remove_photo": data["remove_photo"],
        }


class WaitlistJoinForm(forms.Form):
    market_day = forms.UUIDField(widget=forms.HiddenInput)


class OfferAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
