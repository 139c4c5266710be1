import django_filters

from applications.models import Application
from applications.selectors import application_filter_category
from vendors.models import ProductCategory


class ApplicationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(  # unconfirmed applications are nobody's to list
        choices=[c for c in Application.Status.choices if c[0] != Application.Status.UNCONFIRMED]
    )
    category = django_filters.ChoiceFilter(
        choices=ProductCategory.choices, method="filter_category"
    )

    class Meta:
        model = Application
        fields = ["status", "category"]

    def filter_category(self, queryset, name, value):
        return application_filter_category(queryset, value)
