"""Admin of vendors: an organizer sees the vendors who applied to their markets, read-only
(a vendor's profile is the vendor's own), with their applications, bookings and documents
as far as they concern the organizer's own markets."""

import uuid

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from applications.admin import expiry
from applications.models import Application
from applications.selectors import applied_vendor_list, organizer_document_list
from marketflow.admin_base import (
    EmailBounceAdminMixin,
    EmailBouncedFilter,
    ScopedModelAdmin,
    ViewOnlyMixin,
)
from marketflow.currencies import format_money
from marketflow.models import category_labels
from marketflow.selectors import (
    acts_as_organizer,
    manages_markets,
    scope_queryset,
    with_email_bounce,
)
from stalls.models import Booking
from stalls.selectors import strike_season, vendor_strike_list
from vendors.models import Vendor, VendorDocument


class ReadOnlyInline(admin.TabularInline):
    """Rows of the vendor on the user's own markets (``owner_path``), shown, never edited."""

    owner_path = ""
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return scope_queryset(rows, request.user, self.owner_path)

    def has_view_permission(self, request, obj=None):
        return manages_markets(request.user)

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ApplicationInline(ReadOnlyInline):
    model = Application
    owner_path = "market__organizer"
    fields = ["market", "status", "created_at", "reviewed_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("market")


class BookingInline(ReadOnlyInline):
    model = Booking
    owner_path = "market_day__market__organizer"
    fields = ["market_day", "stall", "fee", "payment_status", "cancelled_at"]
    readonly_fields = fields
    ordering = ["-market_day__date"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("market_day__market", "stall")

    @admin.display(description=_("fee"))
    def fee(self, booking):
        return format_money(booking.fee_cents, booking.market_day.market.currency)


class DocumentInline(ReadOnlyInline):
    """The vendor's documents submitted with an application to the user's markets (an
    organizer sees a document only through such an application)."""

    model = VendorDocument
    fields = ["document_type", "download", "expires_on", "state"]
    readonly_fields = fields
    ordering = ["document_type", "-created_at"]
    show_change_link = False  # no page of its own: the file is the document

    def get_queryset(self, request):
        return organizer_document_list(user=request.user).order_by(*self.ordering)

    @admin.display(description=_("file"))
    def download(self, document):
        url = reverse("document-download", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_filename)

    @admin.display(description=_("state"))
    def state(self, document):
        css_class, words = expiry(document.expires_on, timezone.localdate())
        return format_html('<span class="{}">{}</span>', css_class, words)


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
        "categories",
        "description",
        "has_account",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [ApplicationInline, BookingInline, DocumentInline]

    def scoped_queryset(self, request):
        return self._scope(request, Vendor.objects.all())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The vendor's no-shows and late cancellations this season at the user's markets.
        season = strike_season(timezone.localdate())
        try:
            vendor_id = uuid.UUID(object_id)
        except ValueError:
            strikes = []  # no such vendor: the admin answers that
        else:
            strikes = vendor_strike_list(user=request.user, vendor_id=vendor_id, season=season)
        extra_context = {**(extra_context or {}), "strikes": strikes, "strike_year": season[0].year}
        return super().change_view(request, object_id, form_url, extra_context)

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
        return category_labels(vendor.product_categories)

    @admin.display(description=_("has an account"), boolean=True)
    def has_account(self, vendor):
        return vendor.user_id is not None
