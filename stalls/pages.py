"""The vendor portal's overview (applications, bookings, documents) and withdrawing an
application, which releases the vendor's upcoming bookings at that market."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from applications.selectors import vendor_application_get, vendor_application_list
from marketflow.pages import domain_errors, page
from stalls import selectors, services
from vendors.selectors import vendor_document_list, vendor_for_user


@login_required
@page
def vendor_portal(request):
    vendor = vendor_for_user(user=request.user)
    return render(
        request,
        "pages/vendor_portal.html",
        {
            "vendor": vendor,
            "applications": vendor_application_list(vendor=vendor).order_by("-created_at"),
            "bookings": selectors.vendor_booking_list(vendor=vendor, upcoming_only=True).order_by(
                "market_day__date"
            ),
            "documents": vendor_document_list(vendor=vendor),
        },
    )


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
            withdrawn = services.vendor_withdraw_application(
                user=request.user, application_id=application.pk
            )
        if withdrawn is not None:
            messages.success(request, f"Your application to {application.market} is withdrawn.")
        return redirect("vendor-portal")
    return render(request, "pages/vendor_withdraw.html", {"application": application})
