import factory

from vendors.models import Vendor, VendorDocument


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    business_name = factory.Sequence(lambda n: f"Green Acres {n}")
    contact_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"vendor{n}@example.com")
    phone = "+49 30 1234567"
    product_categories = factory.LazyFunction(lambda: ["produce"])
    description = "Vegetables from the valley."


class VendorDocumentFactory(factory.django.DjangoModelFactory):
    """A document row; its file name is not stored anywhere (enough for readiness)."""

    class Meta:
        model = VendorDocument

    vendor = factory.SubFactory(VendorFactory)
    document_type = "insurance"
    file = factory.Sequence(lambda n: f"vendor-documents/test-{n}.pdf")
    original_filename = "certificate.pdf"
    size = 1234
    content_type = "application/pdf"
    expires_on = None
