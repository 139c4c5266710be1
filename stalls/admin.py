"""Admin of stalls and bookings, and the stall board: one market day, every stall with its
booked vendor or "free", and the day's work (book, cancel, mark paid, fill from the regular
vendors) done through ``stalls.services``."""

import datetime
import uuid
from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _

from applications.selectors import active_vendor_list, market_documents_to_review
from applications.services import document_review
from marketflow.admin_base import (
    ScopedInlineMixin,
    ScopedModelAdmin,
    adopt,
    call_service,
    csv_response,
    market_filter,
    person,
    when_filter,
)
from marketflow.currencies import format_money, money_amount
from marketflow.errors import DomainError, MarketDayNotFoundError, MarketNotFoundError
from marketflow.exception_handler import domain_error_status
from marketflow.forms import MoneyField
from marketflow.models import Market, MarketDay, category_labels
from marketflow.selectors import market_day_get_for_user, market_get
from stalls import services
from stalls.models import Booking, MarketMessage, Stall, StallOffer, WaitlistEntry
from stalls.payments import is_paid_by_card
from stalls.selectors import (
    booked_vendor_get,
    booking_get,
    booking_list,
    cancelled_booking_list,
    checkin_rows,
    market_day_sheet,
    market_fee_statements,
    market_fee_totals,
    market_readiness,
    vendor_fee_statements,
)
from stalls.selectors import market_day_board as board_data
from vendors.models import DocumentReview
from vendors.selectors import readiness_text

PaymentStatus = Booking.PaymentStatus
PAYMENT_BUTTONS = {
    PaymentStatus.UNPAID: _("Mark unpaid"),
    PaymentStatus.PAID: _("Mark paid"),
    PaymentStatus.WAIVED: _("Waive fee"),
    PaymentStatus.REFUNDED: _("Record refund"),
}
PAYMENT_METHOD_LABELS = dict(Booking.PaymentMethod.choices)
CANCEL_PAGE_LIST = 50  # bookings named on the bulk cancel page; the count covers the rest


def cancellation_fee_note(booking: Booking) -> str:
    """What cancelling ``booking`` does to its fee, said before the manager confirms."""
    fee = format_money(booking.fee_cents, booking.market_day.market.currency)
    if is_paid_by_card(booking):
        return str(
            _("Paid %(fee)s by card: cancelling refunds it to the vendor's card through Stripe.")
            % {"fee": fee}
        )
    if booking.payment_status == PaymentStatus.PAID:
        return str(
            _(
                "Paid %(fee)s in cash: it stays paid; settle the refund with the vendor by "
                "hand, then record it on the board."
            )
            % {"fee": fee}
        )
    if booking.payment_status == PaymentStatus.WAIVED:
        return str(_("Fee waived: nothing is owed and nothing is refunded."))
    if not booking.fee_cents:
        return str(_("No fee: nothing is owed."))
    return str(
        _("The fee of %(fee)s is unpaid: the vendor no longer owes it; nothing is refunded.")
        % {"fee": fee}
    )


# -- stalls ------------------------------------------------------------------------------------


class StallForm(forms.ModelForm):
    """A stall's fields, its price typed in units of its market's currency: the stall's own
    page and the stall rows of the market's page. ``market`` is the stall's market; without
    it, the form reads it from the stall or from the market chosen on the form."""

    price_per_day = MoneyField(label=_("Price per day"), required=False)

    class Meta:
        model = Stall
        fields = ["market", *services.STALL_FIELDS]

    def __init__(self, *args, market=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.market = market or self._stall_market()
        self.use_market_currency()

    def full_clean(self):
        # The market's own form may have just changed its currency: prices are typed in it.
        self.use_market_currency()
        super().full_clean()

    def use_market_currency(self) -> None:
        price = self.fields["price_per_day"]
        if self.market is not None:
            price.currency = self.market.currency
        price.help_text = _("In %(currency)s, e.g. %(example)s.") % {
            "currency": price.currency if self.market is not None else _("the market’s currency"),
            "example": price.prepare_value(2500),
        }

    def _stall_market(self):
        if "market" not in self.fields:
            return self.instance.market if self.instance.market_id is not None else None
        if not self.is_bound:
            return None
        try:
            return self.fields["market"].clean(self.data.get(self.add_prefix("market")))
        except ValidationError:
            return None  # the market field says what is wrong


@admin.register(Stall)
class StallAdmin(ScopedModelAdmin):
    form = StallForm
    list_display = ["label", "market", "size_category", "price", "assigned_vendor"]
    list_filter = [market_filter("market"), ("assigned_vendor", admin.EmptyFieldListFilter)]
    list_select_related = ["market", "assigned_vendor"]
    search_fields = ["label", "assigned_vendor__business_name"]
    ordering = ["market__name", "label"]
    autocomplete_fields = ["assigned_vendor"]

    def get_queryset(self, request):
        # Set here, the changelist would skip list_select_related: one join list for both.
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_fields(self, request, obj=None):
        return ["market", *services.STALL_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["market"] if obj is not None else []  # a stall stays in its market

    @admin.display(description=_("price per day"), ordering="price_per_day")
    def price(self, stall):
        return format_money(stall.price_per_day, stall.market.currency, empty="–")

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in services.STALL_FIELDS
            if not change or name in form.changed_data
        }
        if change:
            stall = call_service(
                services.stall_update,
                user=request.user,
                market_id=obj.market_id,
                stall_id=obj.pk,
                **data,
            )
        else:
            stall = call_service(
                services.stall_create,
                user=request.user,
                market_id=form.cleaned_data["market"].pk,
                **data,
            )
        adopt(obj, stall)

    def delete_model(self, request, obj):
        call_service(
            services.stall_delete, user=request.user, market_id=obj.market_id, stall_id=obj.pk
        )

    def get_deleted_objects(self, objs, request):
        (stall,) = objs
        bookings = stall.bookings.count()
        protected = [_("%(count)d bookings") % {"count": bookings}] if bookings else []
        return [str(stall)], {}, set(), protected


# -- bookings ----------------------------------------------------------------------------------


@admin.register(Booking)
class BookingAdmin(ScopedModelAdmin):
    owner_path = "market_day__market__organizer"
    list_display = [
        "market_day",
        "stall",
        "vendor",
        "fee",
        "payment_status",
        "payment_method",
        "paid_at",
        "cancelled_at",
    ]
    list_filter = [
        when_filter("market_day__date", _("market day")),
        market_filter("market_day__market"),
        "payment_status",
        ("cancelled_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["market_day__market", "stall", "vendor"]
    search_fields = ["vendor__business_name", "stall__label"]
    ordering = ["-market_day__date", "stall__label"]
    autocomplete_fields = ["vendor"]
    actions = ["mark_paid", "mark_unpaid", "mark_waived", "cancel_bookings"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["market_day", "stall", "vendor"]
        return [
            "market_day",
            "stall",
            "vendor",
            "fee",
            "payment_status",
            "payment_method",
            "payment_reference",
            "paid_at",
            "booker",
            "attendance",
            "attendance_at",
            "checked_in_by",
            "cancelled_at",
            "cancel_reason",
            "refund_reference",
            "refunded_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "market_day", "stall", "vendor", "fee", "paid_at", "booker", "attendance",
            "attendance_at", "checked_in_by", "cancelled_at", "cancel_reason", "refund_reference",
            "refunded_at",
        ]  # fmt: skip

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "market_day":
            # Only days that can still be booked; the service refuses the others anyway.
            today = timezone.now().date()
            field.queryset = (
                field.queryset.filter(status=MarketDay.Status.SCHEDULED, date__gte=today)
                .select_related("market")
                .order_by("date")
            )
        elif db_field.name == "stall":
            field.queryset = field.queryset.select_related("market").order_by(
                "market__name", "label"
            )
        return field

    @admin.display(description=_("fee"), ordering="fee_cents")
    def fee(self, booking):
        return format_money(booking.fee_cents, booking.market_day.market.currency)

    @admin.display(description=_("booked by"))
    def booker(self, booking):
        return person(booking.booked_by)

    @admin.display(description=_("checked in by"))
    def checked_in_by(self, booking):
        return person(booking.attendance_by)

    def save_model(self, request, obj, form, change):
        if change:
            if "payment_status" in form.changed_data:
                booking = call_service(
                    services.booking_update_payment,
                    user=request.user,
                    market_id=obj.market_day.market_id,
                    market_day_id=obj.market_day_id,
                    booking_id=obj.pk,
                    payment_status=form.cleaned_data["payment_status"],
                )
                adopt(obj, booking)
            return
        market_day = form.cleaned_data["market_day"]
        booking = call_service(
            services.booking_create,
            user=request.user,
            market_id=market_day.market_id,
            market_day_id=market_day.pk,
            stall_id=form.cleaned_data["stall"].pk,
            vendor_id=form.cleaned_data["vendor"].pk,
        )
        adopt(obj, booking)

    def delete_model(self, request, obj):
        call_service(
            services.booking_cancel,
            user=request.user,
            market_id=obj.market_day.market_id,
            market_day_id=obj.market_day_id,
            booking_id=obj.pk,
        )

    def get_deleted_objects(self, objs, request):
        return [str(booking) for booking in objs], {}, set(), []

    # The booking services record every change in the object's history themselves
    # (marketflow/audit.py), whatever face called them: the admin's own entries would repeat them.
    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletions(self, request, queryset):
        return None

    # -- bulk actions

    def _set_payment_each(self, request, queryset, payment_status, done, not_done):
        self.run_each(
            request,
            queryset,
            lambda booking: services.booking_update_payment(
                user=request.user,
                market_id=booking.market_day.market_id,
                market_day_id=booking.market_day_id,
                booking_id=booking.pk,
                payment_status=payment_status,
            ),
            done=done,
            not_done=not_done,
        )

    @admin.action(description=_("Mark selected bookings paid"), permissions=["change"])
    def mark_paid(self, request, queryset):
        self._set_payment_each(
            request,
            queryset,
            PaymentStatus.PAID,
            _("Marked {count} booking(s) paid."),
            _("{count} booking(s) not marked paid"),
        )

    @admin.action(description=_("Mark selected bookings unpaid"), permissions=["change"])
    def mark_unpaid(self, request, queryset):
        self._set_payment_each(
            request,
            queryset,
            PaymentStatus.UNPAID,
            _("Marked {count} booking(s) unpaid."),
            _("{count} booking(s) not marked unpaid"),
        )

    @admin.action(description=_("Waive the fee of selected bookings"), permissions=["change"])
    def mark_waived(self, request, queryset):
        self._set_payment_each(
            request,
            queryset,
            PaymentStatus.WAIVED,
            _("Waived the fee of {count} booking(s)."),
            _("{count} booking(s) not waived"),
        )

    @admin.action(description=_("Cancel selected bookings…"), permissions=["delete"])
    def cancel_bookings(self, request, queryset):
        """Asks first, on a page naming each booking and what happens to its fee."""
        if "apply" not in request.POST:
            select_across = request.POST.get("select_across") == "1"
            shown = list(queryset[:CANCEL_PAGE_LIST])
            context = {
                **self.admin_site.each_context(request),
                "title": _("Cancel bookings"),
                "opts": self.opts,
                "bookings": [(booking, cancellation_fee_note(booking)) for booking in shown],
                "count": queryset.count(),
                "bulk": True,
                "select_across": select_across,
                "selected_ids": [shown[0].pk]
                if select_across and shown
                else queryset.values_list("pk", flat=True),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "back_url": reverse("admin:stalls_booking_changelist"),
            }
            return TemplateResponse(request, "marketflow_admin/cancel_bookings.html", context)
        self.run_each(
            request,
            queryset,
            lambda booking: services.booking_cancel(
                user=request.user,
                market_id=booking.market_day.market_id,
                market_day_id=booking.market_day_id,
                booking_id=booking.pk,
            ),
            done=_("Cancelled {count} booking(s)."),
            not_done=_("{count} booking(s) not cancelled"),
        )

    # -- the stall board and the day's CSV

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("board/<uuid:market_day_id>/", view(self.board_view), name="stalls_booking_board"),
            path(
                "board/<uuid:market_day_id>/cancel/<uuid:booking_id>/",
                view(self.board_cancel_view),
                name="stalls_booking_board_cancel",
            ),
            path(
                "board/<uuid:market_day_id>/checkin/",
                view(self.checkin_view),
                name="stalls_booking_checkin",
            ),
            path(
                "board/<uuid:market_day_id>/sheet/",
                view(self.day_sheet_view),
                name="stalls_booking_day_sheet",
            ),
            path(
                "board/<uuid:market_day_id>/bookings.csv",
                view(self.board_csv_view),
                name="stalls_booking_board_csv",
            ),
            *super().get_urls(),
        ]

    def _market_day(self, request, market_day_id) -> MarketDay:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return market_day_get_for_user(user=request.user, market_day_id=market_day_id)
        except MarketDayNotFoundError:
            raise Http404(_("No market day matches the given query.")) from None

    def _day_page_context(self, request, market_day: MarketDay, title) -> dict:
        """What every page of one market day starts from (the board, the day sheet,
        check-in): ``title`` names the market and the date."""
        return {
            **self.admin_site.each_context(request),
            "title": title
            % {"market": market_day.market.name, "date": date_format(market_day.date)},
            "opts": self.opts,
            "market_day": market_day,
            "board_url": reverse("admin:stalls_booking_board", args=[market_day.pk]),
            "market_day_url": reverse("admin:marketflow_marketday_change", args=[market_day.pk]),
        }

    def board_view(self, request, market_day_id):
        market_day = self._market_day(request, market_day_id)
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            self._board_operation(request, market_day, request.POST)
            return HttpResponseRedirect(request.path)
        board = board_data(market_day)
        booked_vendor_ids = {
            str(stall["booking"]["vendor"]["id"]) for stall in board["stalls"] if stall["booking"]
        }
        bookable_vendors = [
            (str(vendor_id), business_name)
            for vendor_id, business_name in active_vendor_list(market=market_day.market)
            .order_by("business_name")
            .values_list("id", "business_name")
            if str(vendor_id) not in booked_vendor_ids
        ]
        currency = market_day.market.currency
        context = {
            **self._day_page_context(request, market_day, _("Stall board: %(market)s, %(date)s")),
            "currency": currency,
            "board": board,
            "cancelled": cancelled_booking_list(market_day=market_day),
            "bookable_vendors": bookable_vendors,
            "bookable_vendor_ids": {vendor_id for vendor_id, _name in bookable_vendors},
            # Every free stall offers the same vendors: rendered once, not once per stall.
            "vendor_options": render_to_string(
                "marketflow_admin/stall_board_vendor_options.html",
                {"bookable_vendors": bookable_vendors},
            ),
            # (status, label, the button that sets it): a booking offers all but its own.
            "payment_statuses": [
                (status, label, PAYMENT_BUTTONS[status]) for status, label in PaymentStatus.choices
            ],
            "card": Booking.PaymentMethod.CARD,
            "payment_methods": PAYMENT_METHOD_LABELS,
            "is_open": market_day.is_open,
            # Its vendors' sales can be entered (sales app) once it has begun.
            "day_started": not market_day.is_cancelled and market_day.starts_at <= timezone.now(),
            "fees_due": format_money(board["fees_due_cents"], currency),
            "fees_paid": format_money(board["fees_paid_cents"], currency),
            "csv_url": reverse("admin:stalls_booking_board_csv", args=[market_day.pk]),
            "day_sheet_url": reverse("admin:stalls_booking_day_sheet", args=[market_day.pk]),
            "checkin_url": reverse("admin:stalls_booking_checkin", args=[market_day.pk]),
            "can_change": self.has_change_permission(request),
            "requires_documents": bool(market_day.market.required_document_types),
        }
        return TemplateResponse(request, "marketflow_admin/stall_board.html", context)

    def board_cancel_view(self, request, market_day_id, booking_id):
        """Cancelling from the board asks first: the booking and what happens to its fee,
        and a form that posts the cancellation to the board."""
        market_day = self._market_day(request, market_day_id)
        if not self.has_change_permission(request):
            raise PermissionDenied
        try:
            booking = booking_get(market_day=market_day, booking_id=booking_id)
        except DomainError:
            raise Http404(_("No booking matches the given query.")) from None
        booking.market_day = market_day  # with its market
        board_url = reverse("admin:stalls_booking_board", args=[market_day.pk])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel a booking"),
            "opts": self.opts,
            "bookings": [(booking, cancellation_fee_note(booking))],
            "count": 1,
            "market_day": market_day,
            "board_url": board_url,
            "back_url": board_url,
            "booking": booking,
        }
        return TemplateResponse(request, "marketflow_admin/cancel_bookings.html", context)

    def checkin_view(self, request, market_day_id):
        """Check-in on the day, made for the manager's phone: the day's bookings in stall
        order, each with a large arrived / late / no-show control and what has been saved.
        Each tap is one small POST (a plain form; checkin.js sends it with fetch and says
        "saved" or "not saved, retry" on the row, without a reload)."""
        market_day = self._market_day(request, market_day_id)
        wants_json = "application/json" in request.headers.get("Accept", "")
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            return self._checkin_record(request, market_day, wants_json)
        today = market_day.market.today()
        rows = list(checkin_rows(market_day=market_day))
        for row in rows:
            row["saved"] = attendance_saved(
                row["attendance"], row["attendance_at"], market_day.market
            )
        recorded = [row for row in rows if row["attendance"]]
        context = {
            **self._day_page_context(request, market_day, _("Check-in: %(market)s, %(date)s")),
            "rows": rows,
            "recorded_count": len(recorded),
            "choices": Booking.Attendance.choices,
            "is_today": market_day.date == today,
            "today": today,
            "can_change": self.has_change_permission(request),
        }
        return TemplateResponse(request, "marketflow_admin/checkin.html", context)

    def _checkin_record(self, request, market_day: MarketDay, wants_json: bool):
        """One tap: ``booking`` and its ``attendance``. checkin.js asks for JSON (the row's
        saved state, or the refusal in the API's error shape); a plain form is redirected
        back to its row with a message."""
        booking_id = parse_id(request.POST.get("booking"))
        try:
            booking = services.booking_record_attendance(
                user=request.user,
                market_id=market_day.market_id,
                market_day_id=market_day.pk,
                booking_id=booking_id,
                attendance=request.POST.get("attendance", ""),
            )
        except DomainError as error:
            if wants_json:
                return JsonResponse(error.body(), status=domain_error_status(error))
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)
        saved = attendance_saved(booking.attendance, booking.attendance_at, market_day.market)
        if wants_json:
            return JsonResponse({"attendance": booking.attendance, "saved": saved})
        self.message_user(
            request,
            _("Stall %(stall)s: %(saved)s.") % {"stall": booking.stall.label, "saved": saved},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(f"{request.path}#checkin-{booking.pk}")

    def day_sheet_view(self, request, market_day_id):
        """The day on paper: every stall in order with its vendor, what they sell, their
        phone and the fee's status, and an empty check-in box to tick on the walk round."""
        market_day = self._market_day(request, market_day_id)
        currency = market_day.market.currency
        rows = market_day_sheet(market_day)
        for row in rows:
            booking = row["booking"]
            if booking is not None:
                booking["categories"] = category_labels(booking["categories"])
                booking["fee"] = format_money(booking["fee_cents"], currency)
                booking["payment_label"] = PaymentStatus(booking["payment_status"]).label
                booking["missing_text"] = readiness_text(booking["missing_documents"])
        booked = [row["booking"] for row in rows if row["booking"] is not None]
        unpaid = [
            booking for booking in booked if booking["payment_status"] == PaymentStatus.UNPAID
        ]
        context = {
            **self._day_page_context(request, market_day, _("Day sheet: %(market)s, %(date)s")),
            "rows": rows,
            "booked_count": len(booked),
            "free_count": len(rows) - len(booked),
            "unpaid_count": len(unpaid),
            "fees_due": format_money(sum(b["fee_cents"] for b in unpaid), currency),
        }
        return TemplateResponse(request, "marketflow_admin/day_sheet.html", context)

    def _board_operation(self, request, market_day: MarketDay, data) -> None:
        """One form on the board, one service call; a refusal is an error message."""
        operation = data.get("operation")
        scope = {
            "user": request.user,
            "market_id": market_day.market_id,
            "market_day_id": market_day.pk,
        }
        try:
            if operation == "book":
                stall_id, vendor_id = parse_id(data.get("stall")), parse_id(data.get("vendor"))
                if vendor_id is None:
                    self.message_user(request, _("Choose a vendor to book."), messages.ERROR)
                    return
                booking = services.booking_create(
                    stall_id=stall_id,
                    vendor_id=vendor_id,
                    override_reason=data.get("override_reason", ""),
                    **scope,
                )
                self.message_user(
                    request,
                    _("Booked %(vendor)s on stall %(stall)s.")
                    % {"vendor": booking.vendor.business_name, "stall": booking.stall.label},
                    messages.SUCCESS,
                )
            elif operation == "payment":
                status = data.get("payment_status")
                if status not in PaymentStatus.values:
                    self.message_user(request, _("Choose a payment status."), messages.ERROR)
                    return
                booking = services.booking_update_payment(
                    booking_id=parse_id(data.get("booking")), payment_status=status, **scope
                )
                self.message_user(
                    request,
                    _("Stall %(stall)s: %(status)s.")
                    % {
                        "stall": booking.stall.label,
                        "status": booking.get_payment_status_display(),
                    },
                    messages.SUCCESS,
                )
            elif operation == "cancel":  # posted by the confirmation page (board_cancel_view)
                services.booking_cancel(booking_id=parse_id(data.get("booking")), **scope)
                self.message_user(request, _("Booking cancelled."), messages.SUCCESS)
            elif operation == "fill":
                self._report_fill(request, services.booking_fill_from_regulars(**scope))
            else:
                self.message_user(request, _("Unknown operation."), messages.ERROR)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)

    def _report_fill(self, request, fill: services.RegularsFill) -> None:
        if fill.booked:
            self.message_user(
                request,
                _("Booked %(count)d regular vendor(s): %(stalls)s.")
                % {
                    "count": len(fill.booked),
                    "stalls": ", ".join(booking.stall.label for booking in fill.booked),
                },
                messages.SUCCESS,
            )
        for stall, reason in fill.skipped:
            self.message_user(
                request,
                _("Stall %(stall)s left as it was: %(reason)s.")
                % {"stall": stall.label, "reason": reason},
                messages.WARNING,
            )
        if not fill.booked and not fill.skipped:
            self.message_user(
                request, _("No stall of this market has a regular vendor."), messages.WARNING
            )

    def board_csv_view(self, request, market_day_id):
        market_day = self._market_day(request, market_day_id)
        currency = market_day.market.currency
        bookings = booking_list(market_day=market_day).active().order_by("stall__label")
        header = [
            "stall",
            "size",
            "business name",
            "contact name",
            "e-mail",
            "phone",
            f"fee ({currency})",
            "payment status",
            "payment method",
            "payment reference",
            "paid at",
        ]
        rows = (
            [
                booking.stall.label,
                booking.stall.size_category,
                booking.vendor.business_name,
                booking.vendor.contact_name,
                booking.vendor.email,
                booking.vendor.phone,
                money_amount(booking.fee_cents, currency),
                booking.payment_status,
                booking.payment_method,
                booking.payment_reference,
                booking.paid_at.isoformat() if booking.paid_at else "",
            ]
            for booking in bookings.iterator(chunk_size=500)
        )
        filename = f"bookings-{market_day.market.slug}-{market_day.date:%Y-%m-%d}.csv"
        return csv_response(filename, header, rows)


def attendance_saved(attendance: str, at, market: Market) -> str:
    """What the check-in page says is saved for a booking: "Arrived at 08:02" (the time at
    the market)."""
    if not attendance:
        return str(_("Not checked in yet"))
    return str(
        _("%(attendance)s at %(time)s")
        % {
            "attendance": Booking.Attendance(attendance).label,
            "time": time_format(at.astimezone(market.tz)),
        }
    )


def parse_id(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


# -- messages to vendors -------------------------------------------------------------------------


class MarketMessageForm(forms.ModelForm):
    class Meta:
        model = MarketMessage
        fields = ["market", "market_day", "subject", "body"]
        help_texts = {
            "market_day": _(
                "Choose a day to write to the vendors booked on it (rain, a new layout); "
                "leave it empty to write to every accepted vendor of the market."
            ),
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 12, "cols": 70})}


@admin.register(MarketMessage)
class MarketMessageAdmin(ScopedModelAdmin):
    """Write one e-mail to a market's vendors; the list is the market's message history.
    A message is sent once and kept as it was: no change, no delete."""

    form = MarketMessageForm
    list_display = ["subject", "market", "written_to", "sent", "bounced_count", "sent_by"]
    list_filter = [market_filter("market")]
    list_select_related = ["market", "market_day", "sent_by"]
    search_fields = ["subject"]
    organizer_can_change = False
    organizer_can_delete = False
    readonly_view_fields = [
        "market",
        "written_to",
        "subject",
        "body",
        "sent_by",
        "created_at",
        "recipient_list",
        "bounced_list",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return self.readonly_view_fields if obj is not None else self.form._meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_view_fields if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "market_day":
            since = timezone.now().date() - datetime.timedelta(days=1)
            field.queryset = (
                field.queryset.filter(date__gte=since).select_related("market").order_by("date")
            )
        return field

    @admin.display(description=_("written to"))
    def written_to(self, message):
        if message.market_day_id is None:
            return _("every accepted vendor")
        return _("the vendors booked on %(date)s") % {"date": date_format(message.market_day.date)}

    @admin.display(description=_("sent"), ordering="id")
    def sent(self, message):
        return _("%(count)d vendor(s), %(when)s") % {
            "count": len(message.recipients),
            "when": date_format(timezone.localtime(message.created_at), "DATETIME_FORMAT"),
        }

    @admin.display(description=_("bounced"))
    def bounced_count(self, message):
        return len(message.bounced) or "–"

    @admin.display(description=_("sent to"))
    def recipient_list(self, message):
        return ", ".join(message.recipients)

    @admin.display(description=_("not sent: the address bounced"))
    def bounced_list(self, message):
        return ", ".join(message.bounced) or _("none")

    def save_model(self, request, obj, form, change):
        market_day = form.cleaned_data.get("market_day")
        message = call_service(
            services.market_message_send,
            user=request.user,
            market_id=form.cleaned_data["market"].pk,
            market_day_id=market_day.pk if market_day else None,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
        adopt(obj, message)
        self.message_user(
            request,
            _("Your message is on its way to %(count)d vendor(s).")
            % {"count": len(message.recipients)},
            messages.SUCCESS,
        )
        if message.bounced:
            self.message_user(
                request,
                _("Not sent to these vendors, whose address bounced: %(emails)s.")
                % {"emails": ", ".join(message.bounced)},
                messages.WARNING,
            )

    def log_addition(self, request, obj, message):
        return None  # the service records the message on the market's history


# -- fee statements of a market (mixed into the market's admin) -------------------------------


class FeeStatementsAdminMixin:
    """Fees by vendor on a market's admin: every vendor booked on any of its days with what
    they owe, paid and were let off, a statement per vendor and the whole as CSV."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:market_id>/fees/", view(self.fees_view), name="marketflow_market_fees"),
            path(
                "<uuid:market_id>/fees.csv",
                view(self.fees_csv_view),
                name="marketflow_market_fees_csv",
            ),
            path(
                "<uuid:market_id>/fees/<uuid:vendor_id>/",
                view(self.fee_statement_view),
                name="marketflow_market_fee_statement",
            ),
            *super().get_urls(),
        ]

    def _fees_market(self, request, market_id) -> Market:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            return market_get(user=request.user, market_id=market_id)
        except MarketNotFoundError:
            raise Http404(_("No market matches the given query.")) from None

    def _fees_context(self, request, market: Market, title) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "market": market,
            "market_url": reverse("admin:marketflow_market_change", args=[market.pk]),
            "fees_url": reverse("admin:marketflow_market_fees", args=[market.pk]),
        }

    def fees_view(self, request, market_id):
        market = self._fees_market(request, market_id)
        vendors = [
            {
                **row,
                "statement_url": reverse(
                    "admin:marketflow_market_fee_statement", args=[market.pk, row["vendor_id"]]
                ),
            }
            for row in market_fee_statements(market=market)
        ]
        context = {
            **self._fees_context(
                request, market, _("Fees by vendor: %(market)s") % {"market": market}
            ),
            "vendors": vendors,
            "totals": market_fee_totals(market=market),
            "csv_url": reverse("admin:marketflow_market_fees_csv", args=[market.pk]),
        }
        return TemplateResponse(request, "marketflow_admin/fee_statements.html", context)

    def fee_statement_view(self, request, market_id, vendor_id):
        market = self._fees_market(request, market_id)
        vendor = booked_vendor_get(market=market, vendor_id=vendor_id)
        if vendor is None:
            raise Http404(_("No vendor matches the given query."))
        (statement,) = vendor_fee_statements(vendor_id=vendor.pk, market=market)  # booked
        context = {
            **self._fees_context(
                request,
                market,
                _("Fee statement: %(vendor)s at %(market)s")
                % {"vendor": vendor.business_name, "market": market},
            ),
            "vendor": vendor,
            "statement": statement,
            "vendor_url": reverse("admin:vendors_vendor_change", args=[vendor.pk]),
        }
        return TemplateResponse(request, "marketflow_admin/fee_statement.html", context)

    def fees_csv_view(self, request, market_id):
        market = self._fees_market(request, market_id)
        currency = market.currency
        header = [
            "business name",
            "contact name",
            "e-mail",
            "phone",
            "days booked",
            f"due ({currency})",
            f"paid ({currency})",
            f"waived ({currency})",
            f"sales fees ({currency})",
            f"no-show fees ({currency})",
        ]
        rows = (
            [
                row["vendor__business_name"],
                row["vendor__contact_name"],
                row["vendor__email"],
                row["vendor__phone"],
                row["days_booked"],
                money_amount(row["due_cents"], currency),
                money_amount(row["paid_cents"], currency),
                money_amount(row["waived_cents"], currency),
                money_amount(row["sales_fees_cents"], currency),
                money_amount(row["no_show_fees_cents"], currency),
            ]
            for row in market_fee_statements(market=market)
        )
        return csv_response(f"fees-{market.slug}.csv", header, rows)


# -- readiness of a market (mixed into the market's admin) ------------------------------------


class ReadinessAdminMixin:
    """Readiness on a market's admin: the accepted vendors whose required documents are not
    ready for the next market day, with those documents to approve or refuse (with a
    reason), and the documents expiring within 30 days."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<uuid:market_id>/readiness/",
                view(self.readiness_view),
                name="marketflow_market_readiness",
            ),
            *super().get_urls(),
        ]

    def readiness_view(self, request, market_id):
        market = self._fees_market(request, market_id)
        if request.method == "POST":
            if not self.has_change_permission(request, market):
                raise PermissionDenied
            self._review_document(request, market, request.POST)
            return HttpResponseRedirect(request.path)
        readiness = market_readiness(market=market)
        documents = defaultdict(list)
        for document in market_documents_to_review(
            market=market, vendor_ids=[vendor["id"] for vendor in readiness["not_ready"]]
        ):
            documents[document.vendor_id].append(document)
        for vendor in readiness["not_ready"]:
            vendor["documents"] = documents[vendor["id"]]
            vendor["missing_text"] = readiness_text(vendor["missing_documents"])
        context = {
            **self._fees_context(request, market, _("Readiness: %(market)s") % {"market": market}),
            "readiness": readiness,
            "review_statuses": DocumentReview.Status,
            "can_change": self.has_change_permission(request, market),
        }
        return TemplateResponse(request, "marketflow_admin/readiness.html", context)

    def _review_document(self, request, market: Market, data) -> None:
        try:
            review = document_review(
                user=request.user,
                market_id=market.pk,
                document_id=parse_id(data.get("document")),
                status=data.get("status", ""),
                reason=data.get("reason", ""),
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        self.message_user(
            request,
            _("%(document)s of %(vendor)s: %(status)s.")
            % {
                "document": review.document.get_document_type_display(),
                "vendor": review.document.vendor.business_name,
                "status": review.get_status_display().lower(),
            },
            messages.SUCCESS,
        )


# -- waitlist offers: shown on the market day's page (marketflow's MarketDayAdmin) -----------


class WaitlistEntryInline(ScopedInlineMixin, admin.TabularInline):
    """The day's waitlist, first come first (a market ranked by priority points offers more
    points first). Only the priority points change here, through the service (MarketDayAdmin
    routes them); entries come from the vendors and leave through the workflow."""

    model = WaitlistEntry
    fields = ["vendor", "priority_points", "state", "created_at"]
    readonly_fields = ["vendor", "state", "created_at"]
    extra = 0
    verbose_name_plural = _("waitlist")

    def has_add_permission(self, request, obj):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    ordering = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("vendor")


class StallOfferInline(ScopedInlineMixin, admin.TabularInline):
    """The day's offer history, newest first: who was offered which stall, at which place
    on the waitlist, and what they answered (the day's History page says why)."""

    model = StallOffer
    fk_name = "market_day"
    fields = ["stall", "vendor", "position", "state", "created_at", "expires_at", "answered_at"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = _("stall offers")

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stall", "vendor")
