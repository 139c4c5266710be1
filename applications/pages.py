"""Public pages of applying: the QR code of a market's apply page, the application form, what
follows it and its confirmation by the e-mail's owner; the vendor's request for a new
activation link; document downloads."""

import io
import json
import logging

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe
from rest_framework.exceptions import AuthenticationFailed

from applications import selectors, services
from applications.forms import DOCUMENT_FIELDS, ApplicationForm
from marketflow.authentication import TokenAuthentication
from marketflow.pages import domain_errors, link_request, page, posted
from marketflow.security import client_ip, rate_limited
from marketflow.selectors import public_market_get_by_slug
from vendors.selectors import document_presigned_url

logger = logging.getLogger(__name__)

# What the confirmation page shows, in a cookie signed for the market: no session row to write
# after the application's own commit.
LAST_APPLICATION_COOKIE = "last_application"
LAST_APPLICATION_SECONDS = 3600


@require_safe
@cache_control(max_age=3600)
@page
def market_qr(request, slug: str):
    """An SVG QR code of the apply page, for printing and taping to a market table."""
    market = public_market_get_by_slug(slug=slug)
    url = request.build_absolute_uri(reverse("market-apply", kwargs={"slug": market.slug}))
    qr = segno.make(url, error="m")
    # A standalone file needs the SVG namespace (svg_inline leaves it out), or browsers will
    # not show it in an <img> or open it for printing.
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=8, border=4, title=f"Apply to {market.name}")
    svg = buffer.getvalue()
    return HttpResponse(svg, content_type="image/svg+xml")


@page
def apply(request, slug: str):
    market = public_market_get_by_slug(slug=slug)
    form = ApplicationForm(**posted(request), market=market)
    if request.method == "POST":
        if rate_limited(request, "public_apply"):
            form.add_error(None, "Too many applications from your connection. Try again later.")
            return render(request, "pages/apply.html", _apply_context(market, form), status=429)
        if form.is_bot:
            logger.info("Apply form honeypot filled for market %s; nothing stored.", market.pk)
            return redirect("market-apply-done", slug=market.slug)
        if form.is_valid():
            with domain_errors(form=form):
                application = services.application_submit(
                    market=market,
                    applicant=request.user,
                    client_ip=client_ip(request),
                    **form.submission(),
                )
                response = redirect("market-apply-done", slug=market.slug)
                last = {
                    "business_name": application.business_name,
                    "email": application.email,
                    "documents": len(form.uploads()),
                    "unconfirmed": application.status == application.Status.UNCONFIRMED,
                }
                response.set_signed_cookie(
                    LAST_APPLICATION_COOKIE,
                    json.dumps(last),
                    salt=market.slug,
                    max_age=LAST_APPLICATION_SECONDS,
                    path=response["Location"],
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
                return response
    return render(request, "pages/apply.html", _apply_context(market, form))


def _apply_context(market, form) -> dict:
    return {
        "market": market,
        "form": form,
        "document_fields": [form[name] for name in DOCUMENT_FIELDS],
    }


@require_safe
@page
def apply_done(request, slug: str):
    market = public_market_get_by_slug(slug=slug)
    last = request.get_signed_cookie(
        LAST_APPLICATION_COOKIE, None, salt=market.slug, max_age=LAST_APPLICATION_SECONDS
    )
    return render(
        request,
        "pages/apply_done.html",
        {"market": market, "application": json.loads(last) if last else None},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@page
def apply_confirm(request, token: str):
    """The one-time link from the confirmation e-mail. GET shows what is being confirmed (a
    mail scanner that follows links confirms nothing); POST confirms it."""
    form = forms.Form(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            application = services.application_confirm(token=token)
            return render(request, "pages/apply_confirmed.html", {"application": application})
    application = selectors.unconfirmed_application_get(token=token)
    status = 400 if application is None else 409 if form.errors else 200
    context = {"application": application, "form": form}
    return render(request, "pages/apply_confirm.html", context, status=status)


def activation_request(request):
    """Ask for a new one-time link to set a vendor password (the old one expired or is lost).
    The answer is the same whether or not the e-mail belongs to an accepted vendor."""
    return link_request(
        request,
        template="pages/activation_request.html",
        rate_scope="public_apply",
        send=services.vendor_activation_request,
    )


def _user_of(request):
    """The signed-in user, or one presenting an API token (the API's download links)."""
    if request.user.is_authenticated:
        return request.user
    try:
        authenticated = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return request.user
    return authenticated[0] if authenticated else request.user


@require_safe
@page
def document_download(request, document_id):
    """Stream a document to its vendor or to the organizer of a market it was submitted to
    (from object storage: redirect to a link valid for 60 seconds); anyone else signed in
    gets 404, and a visitor is asked to sign in first."""
    user = _user_of(request)
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    document = selectors.document_get_for_user(user=user, document_id=document_id)
    presigned_url = document_presigned_url(document=document)
    if presigned_url is not None:  # the object store serves it, for 60 seconds
        response = HttpResponseRedirect(presigned_url)
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
