"""The vendor portal's overview (applications, bookings, documents) and withdrawing an
application, which releases the vendor's upcoming bookings at that market."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from applications.models import Application
from applications.selectors import vendor_application_get, vendor_application_list
from marketflow.pages import domain_errors, page
from stalls import selectors, services
from stalls.models import Booking
from vendors.selectors import vendor_document_list, vendor_for_user


@login_required
@page
def vendor_portal(request):
    """Bookings and applications are read as ``values()`` rows with their labels: model
    instances (four per booking, with every column of the market) and the template's walks
    through them were most of the page's time (`make bench`). The page shows the same."""
    vendor = vendor_for_user(user=request.user)
    bookings = list(
        selectors.vendor_booking_list(vendor=vendor, upcoming_only=True)
        .order_by("market_day__date")
        .values(
            "payment_status",
            "fee_cents",
            stall_label=F("stall__label"),
            date=F("market_day__date"),
            start_time=F("market_day__start_time"),
            end_time=F("market_day__end_time"),
            market_name=F("market_day__market__name"),
            currency=F("market_day__market__currency"),
        )
    )
    applications = list(
        vendor_application_list(vendor=vendor)
        .order_by("-created_at")
        .values(
            "id",
            "status",
            "created_at",
            "reviewed_at",
            "decision_reason",
            market_name=F("market__name"),
        )
    )
    labelled(bookings, "payment_status", Booking.PaymentStatus)
    labelled(applications, "status", Application.Status)
    for application in applications:
        application["is_open"] = application["status"] in Application.OPEN_STATUSES
    return render(
        request,
        "pages/vendor_portal.html",
        {
            "vendor": vendor,
            "applications": applications,
            "bookings": bookings,
            "documents": vendor_document_list(vendor=vendor),  # a few: instances
        },
    )


def labelled(rows: list[dict], field: str, choices) -> None:
    """Adds ``<field>_label`` to each row: what ``get_<field>_display()`` shows."""
    labels = dict(choices.choices)
    for row in rows:
        value = row[field]
        row[f"{field}_label"] = labels.get(value, value)


@login_required
@require_http_methods(["GET", "POST"])
@page
def application_withdraw(request, application_id):
    """GET asks for confirmation, POST withdraws."""
    vendor = vendor_for_user(user=request.user)
    application = vendor_application_get(vendor=vendor, application_id=application_id)
    if request.method == "POST":
        withdrawn = None
        with domain_errors(request=request):
            withdrawn = services.application_withdraw(
                user=request.user, application_id=application.pk
            )
        if withdrawn is not None:
            messages.success(request, f"Your application to {application.market} is withdrawn.")
        return redirect("vendor-portal")
    return render(request, "pages/vendor_withdraw.html", {"application": application})
