import factory

from applications.models import Application
from marketflow.tests.factories import MarketFactory
from vendors.tests.factories import VendorFactory


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    market = factory.SubFactory(MarketFactory)
    vendor = factory.SubFactory(VendorFactory)
    status = Application.Status.PENDING
    message = "We would love to join."
    business_name = factory.SelfAttribute("vendor.business_name")
    contact_name = factory.SelfAttribute("vendor.contact_name")
    phone = factory.SelfAttribute("vendor.phone")
    product_categories = factory.SelfAttribute("vendor.product_categories")
    description = factory.SelfAttribute("vendor.description")


class AcceptedApplicationFactory(ApplicationFactory):
    status = Application.Status.ACCEPTED
