from django.urls import path

from sales import views

# Under /api/markets/<market_id>/ (marketflow/urls.py).
payout_patterns = [
    path("payouts/", views.MarketPayoutsView.as_view(), name="market-payouts"),
    path(
        "payouts/<uuid:vendor_id>/settle/",
        views.MarketPayoutSettleView.as_view(),
        name="market-payout-settle",
    ),
]
