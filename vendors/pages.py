"""The vendor's own pages: the portal (applications, bookings, documents), withdrawing an
application, the profile, documents, and activating the account from the e-mail."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from applications import services as application_services
from applications.selectors import (
    directory_market_list,
    vendor_application_get,
    vendor_application_list,
)
from marketflow.currencies import format_money
from marketflow.forms import PasswordPairForm
from marketflow.pages import domain_errors, page, posted
from marketflow.stripe_api import payments_configured
from sales.selectors import vendor_days_to_report, vendor_statements
from seasons.selectors import vendor_season_list
from stalls import payments
from stalls import services as stall_services
from stalls.selectors import (
    full_days_for_vendor,
    stall_offer_get,
    vendor_booking_list,
    vendor_offer_list,
    vendor_waitlist_entry_list,
)
from vendors import selectors, services
from vendors.forms import (
    DocumentReplaceForm,
    DocumentUploadForm,
    OfferAnswerForm,
    PayBookingsForm,
    VendorListingForm,
    VendorProfileForm,
    WaitlistJoinForm,
)


def confirmed(request, template: str, context: dict, *, action: Callable[[], str]):
    """GET asks for confirmation on ``template``; POST runs ``action`` (a service call that
    returns what to tell the vendor; a refusal becomes an error message) and goes back to
    the portal."""
    if request.method != "POST":
        return render(request, template, context)
    with domain_errors(request=request):
        messages.success(request, action())
    return redirect("vendor-portal")


@login_required
@page
def vendor_portal(request):
    """The vendor's upcoming bookings and applications, read as the API reads them."""
    vendor = selectors.vendor_for_user(user=request.user)
    documents = list(selectors.vendor_document_list(vendor=vendor))
    reviews = selectors.document_review_list(documents=documents)
    for document in documents:  # each market's verdict, and why it refused
        document.market_reviews = reviews.get(document.pk, [])
    context = {
        "vendor": vendor,
        "bookings": vendor_booking_list(vendor=vendor, upcoming_only=True).order_by(
            "market_day__date"
        ),
        "applications": vendor_application_list(vendor=vendor).order_by("-created_at"),
        "documents": documents,
        "seasons": vendor_season_list(vendor_id=vendor.pk),
        "owed": payments.unpaid_bookings_by_market(vendor=vendor),
        "payments_configured": payments_configured(),
        "sales_to_report": len(vendor_days_to_report(vendor=vendor)),
    }
    return render(request, "pages/vendor_portal.html", context)


@login_required
@require_POST
@page
def pay_bookings(request):
    """Pay the chosen unpaid bookings of one market by card: on to Stripe Checkout."""
    form = PayBookingsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the bookings you want to pay.")
        return redirect("vendor-portal")
    with domain_errors(request=request):
        return redirect(
            payments.booking_checkout_url(
                user=request.user,
                market_id=form.cleaned_data["market"],
                booking_ids=form.cleaned_data["bookings"],
            )
        )
    return redirect("vendor-portal")


@login_required
@page
def fee_statements(request):
    """The vendor's stall fees per market, across all its days: due, paid and waived; netted
    against the tokens the market owes them."""
    vendor = selectors.vendor_for_user(user=request.user)
    statements = vendor_statements(vendor_id=vendor.pk)
    for statement in statements:
        net, currency = statement["net_cents"], statement["currency"]
        if net > 0:
            statement["net_text"] = f"The market pays you {format_money(net, currency)}"
        elif net < 0:
            statement["net_text"] = f"You owe {format_money(-net, currency)}"
        else:
            statement["net_text"] = "You are even: nothing to pay either way"
    context = {"vendor": vendor, "statements": statements}
    return render(request, "pages/vendor_fees.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@page
def application_withdraw(request, application_id):
    """GET asks for confirmation, POST withdraws (releasing the market's coming bookings)."""
    vendor = selectors.vendor_for_user(user=request.user)
    application = vendor_application_get(vendor=vendor, application_id=application_id)

    def withdraw() -> str:
        stall_services.application_withdraw(user=request.user, application_id=application.pk)
        return f"Your application to {application.market} is withdrawn."

    context = {"application": application}
    return confirmed(request, "pages/vendor_withdraw.html", context, action=withdraw)


@login_required
@page
def waitlist(request):
    """The vendor's stall offers and waitlist entries, and the full coming days of their
    markets they may ask for (POST: ask for one)."""
    vendor = selectors.vendor_for_user(user=request.user)
    form = WaitlistJoinForm(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            entry = stall_services.waitlist_join(
                user=request.user, market_day_id=form.cleaned_data["market_day"]
            )
            messages.success(
                request,
                f"You are on the waitlist of {entry.market_day}: you get an e-mail if a "
                "stall frees up.",
            )
            return redirect("vendor-waitlist")
    context = {
        "form": form,
        "offers": vendor_offer_list(vendor=vendor, open_only=True),
        "entries": vendor_waitlist_entry_list(vendor=vendor),
        "full_days": full_days_for_vendor(vendor=vendor),
    }
    return render(request, "pages/vendor_waitlist.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@page
def offer(request, offer_id):
    """A stall offered from a day's waitlist (the e-mail's link): accept or decline it."""
    selectors.vendor_for_user(user=request.user)
    stall_offer = stall_offer_get(offer_id=offer_id)
    form = OfferAnswerForm(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            if form.cleaned_data["answer"] == "accept":
                booking = stall_services.stall_offer_accept(user=request.user, offer_id=offer_id)
                messages.success(
                    request, f"Stall {booking.stall.label} is yours on {booking.market_day}."
                )
            else:
                stall_services.stall_offer_decline(user=request.user, offer_id=offer_id)
                messages.success(request, "Declined: the stall goes to the next vendor waiting.")
            return redirect("vendor-portal")
    context = {"form": form, "offer": stall_offer}
    return render(request, "pages/vendor_offer.html", context)


@login_required
@page
def profile_edit(request):
    vendor = selectors.vendor_for_user(user=request.user)
    initial = {name: getattr(vendor, name) for name in VendorProfileForm.base_fields}
    form = VendorProfileForm(**posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            services.vendor_update(user=request.user, **form.profile())
            messages.success(request, "Your profile is saved.")
            return redirect("vendor-portal")
    return render(request, "pages/vendor_profile.html", {"form": form, "vendor": vendor})


@login_required
@page
def listing_edit(request):
    """The vendor's listing in the public directory of the markets that accepted them."""
    vendor = selectors.vendor_for_user(user=request.user)
    initial = {"directory_listed": vendor.directory_listed}
    initial["public_description"] = vendor.public_description
    form = VendorListingForm(**posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            services.vendor_directory_update(user=request.user, **form.listing())
            messages.success(request, "Your public listing is saved.")
            return redirect("vendor-listing")
    markets = list(directory_market_list(vendor=vendor))
    context = {"form": form, "vendor": vendor, "markets": markets}
    return render(request, "pages/vendor_listing.html", context)


def document_saved(request, document, done: str) -> None:
    """Say the document is saved, with a warning if its expiry date has passed already."""
    kind = document.get_document_type_display()
    if document.is_expired:
        messages.warning(
            request,
            f"{kind} {done}, but it expired on {date_format(document.expires_on)}: markets "
            "usually ask for a valid one. Replace it once you have the renewed document.",
        )
    else:
        messages.success(request, f"{kind} {done}.")


@login_required
@page
def document_upload(request):
    selectors.vendor_for_user(user=request.user)
    form = DocumentUploadForm(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            document = services.vendor_document_upload(user=request.user, **form.cleaned_data)
            document_saved(request, document, "uploaded")
            return redirect("vendor-portal")
    return render(request, "pages/vendor_document_upload.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@page
def document_replace(request, document_id):
    """A newer file for a document: it takes the old one's place in the applications."""
    vendor = selectors.vendor_for_user(user=request.user)
    document = selectors.vendor_document_get(vendor=vendor, document_id=document_id)
    form = DocumentReplaceForm(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            replacement = application_services.vendor_document_replace(
                user=request.user, document_id=document.pk, **form.cleaned_data
            )
            document_saved(request, replacement, "replaced")
            return redirect("vendor-portal")
    context = {"form": form, "document": document}
    return render(request, "pages/vendor_document_replace.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@page
def document_delete(request, document_id):
    """GET asks for confirmation, POST deletes (refused while an open application has it)."""
    vendor = selectors.vendor_for_user(user=request.user)
    document = selectors.vendor_document_get(vendor=vendor, document_id=document_id)

    def delete() -> str:
        application_services.vendor_document_delete(user=request.user, document_id=document.pk)
        return f"{document.get_document_type_display()} deleted."

    context = {"document": document}
    return confirmed(request, "pages/vendor_document_delete.html", context, action=delete)


def activate(request, uidb64: str, token: str):
    """The one-time link from the acceptance e-mail: choose a password, and you are in.
    Signed in to the account that has the vendor's address, connect that account instead."""
    vendor = selectors.vendor_for_activation(uidb64=uidb64, token=token)
    if vendor is None:
        return render(request, "pages/vendor_activate_invalid.html", status=400)
    linking = request.user.is_authenticated and request.user.email == vendor.email
    form = (Form if linking else PasswordPairForm)(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            link = {"uidb64": uidb64, "token": token}
            if linking:
                services.vendor_account_link(**link, user=request.user)
            else:
                user = services.vendor_account_activate(
                    **link, password=form.cleaned_data["password"]
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your vendor account is ready. Welcome!")
            return redirect("vendor-portal")
    context = {"form": form, "vendor": vendor, "linking": linking}
    return render(request, "pages/vendor_activate.html", context)
