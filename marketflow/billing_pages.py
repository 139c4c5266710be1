"""The organizer's billing pages: the plan (upgrade through Stripe Checkout, manage it in
Stripe's customer portal) and connecting their own Stripe account for stall fees. Each
button posts here and is sent on to Stripe; a refusal comes back as a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from marketflow import billing
from marketflow.errors import NotAnOrganizerError
from marketflow.pages import domain_errors, page
from marketflow.selectors import acts_as_organizer
from marketflow.stripe_api import payments_configured

organizer_login_required = login_required(login_url=reverse_lazy("admin:login"))


def _organizer_only(request) -> None:
    if not acts_as_organizer(request.user):
        raise NotAnOrganizerError()


@organizer_login_required
@require_http_methods(["GET"])
@page
def billing_page(request):
    """Where "Upgrade" leads (also the API's ``extra.upgrade_url``): the plan and buttons."""
    _organizer_only(request)
    return render(
        request,
        "pages/billing.html",
        {"organizer": request.user, "payments_configured": payments_configured()},
    )


def _to_stripe(request, make_url):
    _organizer_only(request)
    with domain_errors(request=request):
        return redirect(make_url(user=request.user))
    return redirect("billing-upgrade")


@organizer_login_required
@require_POST
@page
def upgrade(request):
    return _to_stripe(request, billing.plan_checkout_url)


@organizer_login_required
@require_POST
@page
def portal(request):
    return _to_stripe(request, billing.billing_portal_url)


@organizer_login_required
@require_http_methods(["GET", "POST"])  # GET: Stripe's refresh_url of an expired link
@page
def connect(request):
    if request.method == "GET":
        messages.info(request, "The Stripe link expired: start again.")
        return redirect("billing-upgrade")
    return _to_stripe(request, billing.connect_onboarding_url)
