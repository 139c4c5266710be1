import factory

from vendors.models import Vendor


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    business_name = factory.Sequence(lambda n: f"Green Acres {n}")
    contact_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"vendor{n}@example.com")
    phone = "+49 30 1234567"
    product_categories = factory.LazyFunction(lambda: ["produce"])
    description = "Vegetables from the valley."
