"""The vendor's own pages: profile, documents, and activating the account from the e-mail."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from marketflow.forms import PasswordPairForm
from marketflow.pages import domain_errors, page, posted
from vendors import selectors, services
from vendors.forms import DocumentUploadForm, VendorProfileForm


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
def document_upload(request):
    selectors.vendor_for_user(user=request.user)
    form = DocumentUploadForm(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            document = services.vendor_document_upload(user=request.user, **form.cleaned_data)
            messages.success(request, f"{document.get_document_type_display()} uploaded.")
            return redirect("vendor-portal")
    return render(request, "pages/vendor_document_upload.html", {"form": form})


def activate(request, uidb64: str, token: str):
    """The one-time link from the acceptance e-mail: choose a password, and you are in."""
    vendor = selectors.vendor_for_activation(uidb64=uidb64, token=token)
    if vendor is None:
        return render(request, "pages/vendor_activate_invalid.html", status=400)
    form = PasswordPairForm(**posted(request))
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            user = services.vendor_account_activate(
                uidb64=uidb64, token=token, password=form.cleaned_data["password"]
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your vendor account is ready. Welcome!")
            return redirect("vendor-portal")
    return render(request, "pages/vendor_activate.html", {"form": form, "vendor": vendor})
