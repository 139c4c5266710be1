"""The public pages: market pages and applying, the vendor portal, accounts, documents."""

from django.contrib.sitemaps import views as sitemaps_views
from django.urls import path, re_path

from applications import directory_pages
from applications import pages as application_pages
from marketflow import billing_pages
from marketflow import pages as core_pages
from marketflow.sitemaps import SITEMAPS
from marketflow.webhooks import StripeWebhookView
from sales import pages as sales_pages
from vendors import pages as vendor_pages

urlpatterns = [
    path("", core_pages.home, name="home"),
    # Browsers ask for /favicon.ico where a response names no icon (a JSON answer, a file).
    path("favicon.ico", core_pages.favicon, name="favicon"),
    path("m/<slug:slug>/", directory_pages.market_page, name="market-page"),
    path("m/<slug:slug>/vendors/", directory_pages.directory, name="directory"),
    path(
        "m/<slug:slug>/vendors/<uuid:vendor_id>/",
        directory_pages.directory_vendor,
        name="directory-vendor",
    ),
    re_path(
        r"^vendor-photos/(?P<name>[0-9a-f]{32}\.jpg)$",
        directory_pages.directory_photo,
        name="directory-photo",
    ),
    # An index of the sections, each paged by its ``limit`` (Django's documented layout).
    path("sitemap.xml", sitemaps_views.index, {"sitemaps": SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        sitemaps_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("m/<slug:slug>/apply/", application_pages.apply, name="market-apply"),
    path("m/<slug:slug>/apply/done/", application_pages.apply_done, name="market-apply-done"),
    path("apply/confirm/<str:token>/", application_pages.apply_confirm, name="application-confirm"),
    path("m/<slug:slug>/qr.svg", application_pages.market_qr, name="market-qr"),
    path("signup/", core_pages.signup, name="signup"),
    path("signup/done/", core_pages.signup_done, name="signup-done"),
    path("signup/resend/", core_pages.signup_resend, name="signup-resend"),
    path("signup/verify/<str:uidb64>/<str:token>/", core_pages.signup_verify, name="signup-verify"),
    path("accounts/sign-in/", core_pages.SignInView.as_view(), name="login"),
    path("accounts/sign-out/", core_pages.SignOutView.as_view(), name="logout"),
    path("accounts/password-reset/", core_pages.password_reset, name="password-reset"),
    path(
        "accounts/password-reset/sent/",
        core_pages.password_reset_done,
        name="password-reset-done",
    ),
    path(
        "accounts/password-reset/<str:uidb64>/<str:token>/",
        core_pages.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path(
        "accounts/password-reset/complete/",
        core_pages.password_reset_complete,
        name="password-reset-complete",
    ),
    path("vendor/", vendor_pages.vendor_portal, name="vendor-portal"),
    path("vendor/pay/", vendor_pages.pay_bookings, name="vendor-pay"),
    path("billing/", billing_pages.billing_page, name="billing-upgrade"),
    path("billing/upgrade/", billing_pages.upgrade, name="billing-upgrade-start"),
    path("billing/portal/", billing_pages.portal, name="billing-portal"),
    path("billing/connect/", billing_pages.connect, name="billing-connect"),
    path("webhooks/stripe/", StripeWebhookView.as_view(), name="stripe-webhook"),
    path("vendor/profile/", vendor_pages.profile_edit, name="vendor-profile"),
    path("vendor/listing/", vendor_pages.listing_edit, name="vendor-listing"),
    path("vendor/fees/", vendor_pages.fee_statements, name="vendor-fees"),
    path("vendor/sales/", sales_pages.sales_days, name="vendor-sales"),
    path("vendor/sales/<uuid:booking_id>/", sales_pages.sales_report, name="vendor-sales-report"),
    path("vendor/waitlist/", vendor_pages.waitlist, name="vendor-waitlist"),
    path("vendor/offers/<uuid:offer_id>/", vendor_pages.offer, name="vendor-offer"),
    path("vendor/documents/new/", vendor_pages.document_upload, name="vendor-document-upload"),
    path(
        "vendor/documents/<uuid:document_id>/replace/",
        vendor_pages.document_replace,
        name="vendor-document-replace",
    ),
    path(
        "vendor/documents/<uuid:document_id>/delete/",
        vendor_pages.document_delete,
        name="vendor-document-delete",
    ),
    path(
        "vendor/applications/<uuid:application_id>/withdraw/",
        vendor_pages.application_withdraw,
        name="vendor-application-withdraw",
    ),
    path(
        "vendor/activate/",
        application_pages.activation_request,
        name="vendor-activation-request",
    ),
    path(
        "vendor/activate/<str:uidb64>/<str:token>/", vendor_pages.activate, name="vendor-activate"
    ),
    path(
        "documents/<uuid:document_id>/",
        application_pages.document_download,
        name="document-download",
    ),
]
