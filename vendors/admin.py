"""Admin of vendors: an organizer sees the vendors who applied to their markets, read-only
(a vendor's profile is the vendor's own; what they submitted is on each application)."""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from marketflow.admin_base import ScopedModelAdmin, ViewOnlyMixin
from marketflow.selectors import acts_as_organizer, manages_markets, scope_queryset
from vendors.models import Vendor


def applied_to_markets_of(user):
    """A condition on vendors: an application to one of ``user``'s markets exists."""
    return Exists(Application.objects.filter(vendor=OuterRef("pk"), market__organizer=user))


class ApplicationInline(admin.TabularInline):
    """The vendor's applications, to the organizer's own markets only."""

    model = Application
    fields = ["market", "status", "created_at", "reviewed_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        applications = super().get_queryset(request).select_related("market")
        return scope_queryset(applications, request.user, "market__organizer")

    def has_view_permission(self, request, obj=None):
        return manages_markets(request.user)

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Vendor)
class VendorAdmin(ViewOnlyMixin, ScopedModelAdmin):
    # Vendors come from public applications; their profile is theirs to change.
    organizer_can_add = False
    organizer_can_change = False
    organizer_can_delete = False
    list_display = ["business_name", "contact_name", "email", "phone", "categories"]
    search_fields = ["business_name", "email"]
    search_help_text = _("Business name or e-mail.")
    ordering = ["business_name"]
    fields = [
        "business_name",
        "contact_name",
        "email",
        "phone",
        "product_categories",
        "description",
        "has_account",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [ApplicationInline]

    def scoped_queryset(self, request):
        return self._scope(request, Vendor.objects.all())

    def get_queryset(self, request):
        return self._scope(request, admin.ModelAdmin.get_queryset(self, request))

    @staticmethod
    def _scope(request, vendors):
        user = request.user
        if user.is_superuser:
            return vendors
        if not acts_as_organizer(user):
            return vendors.none()
        return vendors.filter(applied_to_markets_of(user))

    def owns(self, user, obj) -> bool:
        return Application.objects.filter(vendor=obj, market__organizer=user).exists()

    def get_search_results(self, request, queryset, search_term):
        vendors, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if self._is_booking_autocomplete(request):
            # A stall's regular vendor or a booked vendor must be accepted to a market of
            # the user's: offer only those (the services refuse the others anyway).
            accepted = Application.objects.filter(
                vendor=OuterRef("pk"), status=Application.Status.ACCEPTED
            )
            if not request.user.is_superuser:
                accepted = accepted.filter(market__organizer=request.user)
            vendors = vendors.filter(Exists(accepted))
        return vendors, may_have_duplicates

    @staticmethod
    def _is_booking_autocomplete(request) -> bool:
        match = request.resolver_match
        return bool(
            match
            and match.url_name == "autocomplete"
            and request.GET.get("app_label") == "stalls"
            and request.GET.get("field_name") in {"assigned_vendor", "vendor"}
        )

    @admin.display(description=_("categories"))
    def categories(self, vendor):
        return ", ".join(vendor.product_categories)

    @admin.display(description=_("has an account"), boolean=True)
    def has_account(self, vendor):
        return vendor.user_id is not None
