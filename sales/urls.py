from django.urls import path

from sales import views

# Under /api/markets/<market_id>/ (marketflow/urls.py).
sales_patterns = [
    path("sales/summary/", views.SalesSummaryView.as_view(), name="sales-summary"),
    path("sales/summary.csv", views.SalesSummaryCsvView.as_view(), name="sales-summary-csv"),
    path("sales/reports/", views.SalesReportListView.as_view(), name="sales-report-list"),
]
