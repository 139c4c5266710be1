from csp.constants import NONCE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from applications import views as application_views
from marketflow import email_tracking, health, observability
from marketflow import pages as core_pages
from marketflow import views as core_views
from sales import views as sales_views
from sales.urls import payout_patterns, sales_patterns
from seasons.urls import season_patterns
from stalls import views as stall_views
from vendors import views as vendor_views

# Swagger UI and ReDoc style their pages with inline styles and show data: images (ReDoc also
# runs its search in a blob: worker). Allowed on these two pages only; scripts stay 'self'
# plus the one start-up script that carries the response's nonce.
docs_csp = csp_replace(
    {
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
    }
)

market_patterns = [
    path("", core_views.MarketDetailView.as_view(), name="market-detail"),
    path("stalls/", stall_views.StallListCreateView.as_view(), name="stall-list"),
    path("fees/", stall_views.MarketFeesView.as_view(), name="market-fees"),
    path("stalls/<uuid:stall_id>/", stall_views.StallDetailView.as_view(), name="stall-detail"),
    path("market-days/", core_views.MarketDayListCreateView.as_view(), name="market-day-list"),
    path(
        "market-days/<uuid:market_day_id>/",
        core_views.MarketDayDetailView.as_view(),
        name="market-day-detail",
    ),
    path(
        "market-days/<uuid:market_day_id>/board/",
        stall_views.StallBoardView.as_view(),
        name="market-day-board",
    ),
    path(
        "market-days/<uuid:market_day_id>/bookings/",
        stall_views.BookingListCreateView.as_view(),
        name="booking-list",
    ),
    path(
        "market-days/<uuid:market_day_id>/bookings/<uuid:booking_id>/",
        stall_views.BookingDetailView.as_view(),
        name="booking-detail",
    ),
    path(
        "market-days/<uuid:market_day_id>/bookings/<uuid:booking_id>/attendance/",
        stall_views.BookingAttendanceView.as_view(),
        name="booking-attendance",
    ),
    path(
        "market-days/<uuid:market_day_id>/bookings/<uuid:booking_id>/sales/",
        sales_views.BookingSalesReportView.as_view(),
        name="booking-sales",
    ),
    path(
        "market-days/<uuid:market_day_id>/waitlist/",
        stall_views.WaitlistView.as_view(),
        name="waitlist-list",
    ),
    path(
        "market-days/<uuid:market_day_id>/waitlist/<uuid:entry_id>/",
        stall_views.WaitlistEntryView.as_view(),
        name="waitlist-entry",
    ),
    path(
        "market-days/<uuid:market_day_id>/offers/",
        stall_views.OfferListView.as_view(),
        name="offer-list",
    ),
    path(
        "market-days/<uuid:market_day_id>/offers/pause/",
        stall_views.OffersPauseView.as_view(),
        name="offers-pause",
    ),
    path("applications/", application_views.ApplicationListView.as_view(), name="application-list"),
    path(
        "applications/<uuid:application_id>/",
        application_views.ApplicationDetailView.as_view(),
        name="application-detail",
    ),
    path(
        "applications/<uuid:application_id>/accept/",
        application_views.ApplicationAcceptView.as_view(),
        name="application-accept",
    ),
    path(
        "applications/<uuid:application_id>/reject/",
        application_views.ApplicationRejectView.as_view(),
        name="application-reject",
    ),
    path(
        "applications/<uuid:application_id>/waitlist/",
        application_views.ApplicationWaitlistView.as_view(),
        name="application-waitlist",
    ),
    path(
        "applications/<uuid:application_id>/reopen/",
        application_views.ApplicationReopenView.as_view(),
        name="application-reopen",
    ),
    path(
        "applications/<uuid:application_id>/revoke/",
        application_views.ApplicationRevokeView.as_view(),
        name="application-revoke",
    ),
    path(
        "applications/<uuid:application_id>/documents/",
        application_views.ApplicationDocumentListView.as_view(),
        name="application-document-list",
    ),
    path("vendors/", application_views.MarketVendorListView.as_view(), name="market-vendor-list"),
    *season_patterns,
    *payout_patterns,
    path(
        "documents/<uuid:document_id>/review/",
        application_views.DocumentReviewView.as_view(),
        name="document-review",
    ),
    path("readiness/", stall_views.MarketReadinessView.as_view(), name="market-readiness"),
    *sales_patterns,
]

api_patterns = [
    path("auth/token/", core_views.TokenView.as_view(), name="auth-token"),
    path("auth/logout/", core_views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", core_views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/tokens/", core_views.TokenListView.as_view(), name="auth-token-list"),
    path(
        "auth/tokens/<uuid:token_id>/",
        core_views.TokenDetailView.as_view(),
        name="auth-token-detail",
    ),
    path("me/", vendor_views.MeView.as_view(), name="me"),
    path(
        "public/markets/<uuid:market_id>/",
        core_views.PublicMarketView.as_view(),
        name="public-market",
    ),
    path(
        "public/markets/<uuid:market_id>/vendors/",
        application_views.PublicDirectoryView.as_view(),
        name="public-directory",
    ),
    path(
        "public/markets/<uuid:market_id>/apply/",
        application_views.PublicApplyView.as_view(),
        name="public-apply",
    ),
    path("markets/", core_views.MarketListCreateView.as_view(), name="market-list"),
    path("markets/<uuid:market_id>/", include(market_patterns)),
    path("me/vendor/", vendor_views.MeVendorView.as_view(), name="me-vendor"),
    path(
        "me/vendor/directory/",
        vendor_views.MeVendorDirectoryView.as_view(),
        name="me-vendor-directory",
    ),
    path(
        "me/applications/",
        application_views.MeApplicationListView.as_view(),
        name="me-application-list",
    ),
    path(
        "me/applications/<uuid:application_id>/withdraw/",
        stall_views.MeApplicationWithdrawView.as_view(),
        name="me-application-withdraw",
    ),
    path("me/bookings/", stall_views.MeBookingListView.as_view(), name="me-booking-list"),
    path("me/documents/", vendor_views.MeDocumentListView.as_view(), name="me-document-list"),
    path("me/fees/", sales_views.MeFeesView.as_view(), name="me-fees"),
    path("me/sales/", sales_views.MeSalesListView.as_view(), name="me-sales-list"),
    path(
        "me/bookings/<uuid:booking_id>/sales/",
        sales_views.MeSalesReportView.as_view(),
        name="me-booking-sales",
    ),
    path("me/waitlist/", stall_views.MeWaitlistView.as_view(), name="me-waitlist"),
    path("me/offers/", stall_views.MeOfferListView.as_view(), name="me-offer-list"),
    path(
        "me/offers/<uuid:offer_id>/accept/",
        stall_views.MeOfferAcceptView.as_view(),
        name="me-offer-accept",
    ),
    path(
        "me/offers/<uuid:offer_id>/decline/",
        stall_views.MeOfferDeclineView.as_view(),
        name="me-offer-decline",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Our template gives Swagger UI's inline start-up script the CSP nonce.
        docs_csp(
            SpectacularSwaggerView.as_view(
                url_name="api:schema", template_name="api/swagger_ui.html"
            )
        ),
        name="docs",
    ),
    path(
        "redoc/",
        # The stock template links Google Fonts; ours loads nothing from another host.
        docs_csp(
            SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
        ),
        name="redoc",
    ),
]

# The API answers an unknown URL or a refused request in its own error shape, the pages with
# the 404 and 400 pages.
handler400 = "marketflow.exception_handler.bad_request"
handler404 = "marketflow.exception_handler.not_found"

# Every uncaught error: a 503 when the database is unreachable, our error body under /api/.
handler500 = "marketflow.faults.server_error"

urlpatterns = [
    # The admin's sign-in page links "Forgotten your login credentials?" to the URL of this
    # name: our password reset page (Django's views, Marketflow's templates).
    path("admin/password_reset/", core_pages.password_reset, name="admin_password_reset"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path(
        "anymail/<str:provider>/tracking/",
        email_tracking.tracking_webhook,
        name="email-tracking-webhook",
    ),
    path("admin/", admin.site.urls),
    path("api/", include((api_patterns, "api"))),
    path("", include("marketflow.pages_urls")),
]
