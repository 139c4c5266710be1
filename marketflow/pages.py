"""The public pages' side of the error translation, and the core's pages: a market's public
page, organizer sign-up, sign-in, sign-out and password reset.

Services raise DomainErrors; ``domain_errors`` is the one place where a page turns them into
what a person sees: a 404 or 403 page, errors on the form next to their fields, or a message.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_safe

from marketflow import services
from marketflow.errors import DomainError, NotFoundError, PermissionDeniedError
from marketflow.forms import (
    EmailAddressForm,
    OrganizerSignUpForm,
    PasswordResetForm,
    PasswordResetSetForm,
    add_domain_error_to_form,
)
from marketflow.security import SignInForm, rate_limited


@contextmanager
def domain_errors(*, form: Form | None = None, request: HttpRequest | None = None) -> Iterator:
    """``with domain_errors(form=form):`` around a service call. Not found becomes the 404
    page and permission denied the 403 page (ids never leak); any other error goes onto the
    form, or into a message for ``request``, and the view carries on to render it."""
    try:
        yield
    except NotFoundError as error:
        raise Http404(error.message) from None
    except PermissionDeniedError as error:
        raise PermissionDenied(error.message) from None
    except DomainError as error:
        if form is not None:
            add_domain_error_to_form(form, error)
        elif request is not None:
            messages.error(request, error.message)
        else:
            raise


def posted(request: HttpRequest) -> dict:
    """A form's data and files: bound on POST (even an empty one), unbound otherwise."""
    if request.method == "POST":
        return {"data": request.POST, "files": request.FILES}
    return {"data": None, "files": None}


def page(view):
    """A page view whose selectors may raise not found or permission denied."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with domain_errors():
            return view(request, *args, **kwargs)

    return wrapper


@require_safe
def home(request):
    """What Marketflow is, with the ways in: vendors apply through their market's link."""
    return render(request, "pages/home.html")


@require_safe
def favicon(request):
    return redirect(static("marketflow/favicon.svg"), permanent=True)


# Organizer sign-up with e-mail verification.


def signup(request):
    if request.user.is_authenticated:
        return redirect("admin:index" if request.user.is_staff else "vendor-portal")
    form = OrganizerSignUpForm(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            services.organizer_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
            )
            return redirect("signup-done")
    return render(request, "pages/signup.html", {"form": form})


@require_safe
def signup_done(request):
    days = settings.MARKETFLOW_UNVERIFIED_ACCOUNT_DAYS
    return render(request, "pages/signup_done.html", {"unverified_account_days": days})


@require_safe
def signup_verify(request, uidb64: str, token: str):
    user = None
    with domain_errors(request=request):
        user = services.organizer_verify_email(uidb64=uidb64, token=token)
    return render(
        request, "pages/signup_verified.html", {"verified_user": user}, status=200 if user else 400
    )


def link_request(request, *, template: str, rate_scope: str, send: Callable[..., None]):
    """A page that sends a new link to an e-mail address (``send(email=...)``), answering
    the same whether or not the address has anything to send to; POSTs count against the
    client address's rate of ``rate_scope``."""
    form = EmailAddressForm(**posted(request))
    if request.method == "POST":
        if rate_limited(request, rate_scope):
            form.add_error(None, "Too many requests from your connection. Try again later.")
            return render(request, template, {"form": form}, status=429)
        if form.is_valid():
            send(email=form.cleaned_data["email"])
            return render(request, template, {"sent": True})
    return render(request, template, {"form": form})


def signup_resend(request):
    """A new verification link for an organizer sign-up nobody confirmed yet (the link
    expired or went astray)."""
    return link_request(
        request,
        template="pages/signup_resend.html",
        rate_scope="sign_in",
        send=services.organizer_verification_resend,
    )


# Sign-in, sign-out and password reset: Django's views with our templates.


class SignInView(auth_views.LoginView):
    template_name = "pages/sign_in.html"
    authentication_form = SignInForm  # with the per-address budget of attempts
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Vendors go to their portal, organizers and staff to the admin site."""
        return reverse("admin:index" if self.request.user.is_staff else "vendor-portal")


class SignOutView(auth_views.LogoutView):
    next_page = reverse_lazy("login")


password_reset = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm,
    template_name="pages/password_reset.html",
    email_template_name="emails/password_reset.txt",
    html_email_template_name="emails/password_reset.html",
    subject_template_name="emails/password_reset_subject.txt",
    success_url=reverse_lazy("password-reset-done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="pages/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="pages/password_reset_confirm.html",
    form_class=PasswordResetSetForm,
    success_url=reverse_lazy("password-reset-complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="pages/password_reset_complete.html"
)
