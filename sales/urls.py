from django.urls import path

from sales import report_views, views

# Under /api/markets/<market_id>/ (marketflow/urls.py).
payout_patterns = [
    path("payouts/", views.MarketPayoutsView.as_view(), name="market-payouts"),
    path(
        "payouts/<uuid:vendor_id>/settle/",
        views.MarketPayoutSettleView.as_view(),
        name="market-payout-settle",
    ),
]

sales_patterns = [
    path("sales/summary/", report_views.SalesSummaryView.as_view(), name="sales-summary"),
    path("sales/summary.csv", report_views.SalesSummaryCsvView.as_view(), name="sales-summary-csv"),
    path("sales/reports/", report_views.SalesReportListView.as_view(), name="sales-report-list"),
]
