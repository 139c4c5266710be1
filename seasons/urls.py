from django.urls import path

from seasons import views

# Under /api/markets/<market_id>/ (marketflow/urls.py).
season_patterns = [
    path("seasons/", views.SeasonListCreateView.as_view(), name="season-list"),
    path("seasons/preview/", views.SeasonCreatePreviewView.as_view(), name="season-preview"),
    path("seasons/<uuid:season_id>/", views.SeasonDetailView.as_view(), name="season-detail"),
    path(
        "seasons/<uuid:season_id>/preview/",
        views.SeasonUpdatePreviewView.as_view(),
        name="season-update-preview",
    ),
    path(
        "seasons/<uuid:season_id>/vendors/",
        views.SeasonVendorListCreateView.as_view(),
        name="season-vendor-list",
    ),
    path(
        "seasons/<uuid:season_id>/vendors/<uuid:season_vendor_id>/",
        views.SeasonVendorDetailView.as_view(),
        name="season-vendor-detail",
    ),
]
