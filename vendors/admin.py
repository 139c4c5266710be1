"""Admin of vendors: an organizer sees the vendors who applied to their markets, read-only
(a vendor's profile is the vendor's own; what they submitted is on each application)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from applications.selectors import applied_vendor_list
from marketflow.admin_base import (
    EmailBounceAdminMixin,
    EmailBouncedFilter,
    ScopedModelAdmin,
    ViewOnlyMixin,
)
from marketflow.selectors import acts_as_organizer, manages_markets, market_list, with_email_bounce
from vendors.models import Vendor


class ApplicationInline(admin.TabularInline):
    """The vendor's applications, to the organizer's own markets only."""

    model = Application
    fields = ["market", "status", "created_at", "reviewed_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        markets = market_list(user=request.user)
        return super().get_queryset(request).select_related("market").filter(market__in=markets)

    def has_view_permission(self, request, obj=None):
        return manages_markets(request.user)

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Vendor)
class VendorAdmin(EmailBounceAdminMixin, ViewOnlyMixin, ScopedModelAdmin):
    # Vendors come from public applications; their profile is theirs to change.
    organizer_can_add = False
    organizer_can_change = False
    organizer_can_delete = False
    list_display = ["business_name", "contact_name", "email", "email_bounce", "phone", "categories"]
    list_filter = [EmailBouncedFilter]
    actions = ["clear_email_bounce"]
    search_fields = ["business_name", "email"]
    search_help_text = _("Business name or e-mail.")
    ordering = ["business_name"]
    fields = [
        "business_name",
        "contact_name",
        "email",
        "email_bounce",
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
        vendors = self._scope(request, admin.ModelAdmin.get_queryset(self, request))
        return with_email_bounce(vendors)

    @staticmethod
    def _scope(request, vendors):
        user = request.user
        if user.is_superuser:
            return vendors
        if not acts_as_organizer(user):
            return vendors.none()
        return applied_vendor_list(user=user, vendors=vendors)

    def owns(self, user, obj) -> bool:
        return applied_vendor_list(user=user, vendors=Vendor.objects.filter(pk=obj.pk)).exists()

    def get_search_results(self, request, queryset, search_term):
        vendors, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if self._is_booking_autocomplete(request):
            # A stall's regular vendor or a booked vendor must be accepted to a market of
            # the user's: offer only those (the services refuse the others anyway).
            vendors = applied_vendor_list(
                user=request.user, vendors=vendors, status=Application.Status.ACCEPTED
            )
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
