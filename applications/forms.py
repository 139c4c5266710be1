"""The public application form: the vendor profile, a message, documents and a honeypot."""

from django import forms

from applications.models import Application
from applications.services import application_required_documents_check
from marketflow.models import DocumentType, Market
from marketflow.pages import domain_errors
from vendors.forms import DateInput, DocumentFileField, MultipleDocumentFileField, VendorProfileForm
from vendors.models import Vendor
from vendors.services import DocumentUpload

MAX_PRODUCT_PHOTOS = 5

# The file inputs are named after the document types, so the service's errors, keyed by
# document type, land next to the right input.
DOCUMENT_FIELDS = (DocumentType.INSURANCE, DocumentType.HEALTH_PERMIT, DocumentType.PRODUCT_PHOTO)
EXPIRY_FIELDS = {
    DocumentType.INSURANCE: "insurance_expires_on",
    DocumentType.HEALTH_PERMIT: "health_permit_expires_on",
}
HONEYPOT_FIELD = "website"


class ApplicationForm(VendorProfileForm):
    email = forms.EmailField(
        label="E-mail",
        max_length=Vendor._meta.get_field("email").max_length,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
        help_text="We send a link to confirm your application here, then the decision.",
    )
    message = forms.CharField(
        label="Message to the organizer",
        required=False,
        max_length=Application._meta.get_field("message").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    insurance = DocumentFileField(label="Insurance certificate")
    insurance_expires_on = forms.DateField(
        label="Insurance expires on", required=False, widget=DateInput
    )
    health_permit = DocumentFileField(label="Health permit")
    health_permit_expires_on = forms.DateField(
        label="Health permit expires on", required=False, widget=DateInput
    )
    product_photo = MultipleDocumentFileField(label="Product photos", max_files=MAX_PRODUCT_PHOTOS)
    # Hidden from people (and from screen readers); bots that fill every field fill this too.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    field_order = [
        "business_name",
        "contact_name",
        "email",
        "phone",
        "product_categories",
        "description",
        "message",
        "insurance",
        "insurance_expires_on",
        "health_permit",
        "health_permit_expires_on",
        "product_photo",
        "website",
    ]

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        self.market = market
        # Offer only what this market accepts; the service refuses anything else anyway.
        categories = self.fields["product_categories"]
        categories.choices = [
            (value, label)
            for value, label in categories.choices
            if value in market.accepted_categories
        ]
        for kind in DOCUMENT_FIELDS:
            field = self.fields[kind]
            # Whether a document is required is the service's rule; the form only says so.
            field.required_by_market = kind in market.required_document_types
            if field.required_by_market:
                field.widget.attrs["aria-required"] = "true"
            several = kind == DocumentType.PRODUCT_PHOTO
            field.help_text = "PDF, JPEG, PNG or WebP, at most 10 MB" + (
                f" each, up to {MAX_PRODUCT_PHOTOS} files." if several else "."
            )

    def clean(self):
        cleaned = super().clean()
        # A file refused by its field already has its error; do not also call it missing.
        present = {upload.document_type for upload in self.uploads()}
        present |= {kind for kind in DOCUMENT_FIELDS if self.has_error(kind)}
        with domain_errors(form=self):
            application_required_documents_check(market=self.market, document_types=present)
        return cleaned

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT_FIELD))

    def submission(self) -> dict:
        """The keyword arguments of ``application_submit``."""
        return {
            **self.profile(),
            "email": self.cleaned_data["email"],
            "message": self.cleaned_data["message"],
            "documents": self.uploads(),
        }

    def uploads(self) -> list[DocumentUpload]:
        uploads = []
        for kind in DOCUMENT_FIELDS:
            value = self.cleaned_data.get(kind)
            files = value if isinstance(value, list) else [value] if value else []
            expiry = self.cleaned_data.get(EXPIRY_FIELDS.get(kind, ""))
            uploads += [
                DocumentUpload(document_type=kind, file=file, expires_on=expiry) for file in files
            ]
        return uploads
