"""The vendor's sales pages: the booked days to report and the report form of one day."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe

from marketflow.currencies import format_money
from marketflow.pages import domain_errors, page, posted
from sales import selectors, services
from sales.forms import SalesReportForm
from sales.models import currency_lines
from vendors.selectors import vendor_for_user

DAYS_PER_PAGE = 30


def day_facts(booking) -> None:
    """Set what the pages say of a booked day on ``booking``: its report (or None), the
    deadline, whether it is still open to the vendor and whether it is settled."""
    booking.report = getattr(booking, "sales_report", None)
    booking.deadline = selectors.deadline(booking)
    booking.is_open = selectors.within_deadline(booking)
    booking.settled = services.sales_day_settled(booking, booking.report)


@login_required
@require_safe
@page
def sales_days(request):
    """The vendor's booked days that can be reported, the days not reported first."""
    vendor = vendor_for_user(user=request.user)
    days = Paginator(selectors.vendor_sales_days(vendor=vendor), DAYS_PER_PAGE)
    days_page = days.get_page(request.GET.get("page"))
    for booking in days_page:
        day_facts(booking)
    return render(request, "pages/vendor_sales.html", {"vendor": vendor, "days": days_page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@page
def sales_report(request, booking_id):
    """One booked day's report: the form (a first report, or a revision with its reason,
    until the deadline), or the figures read-only once the vendor can no longer change them."""
    vendor = vendor_for_user(user=request.user)
    booking = selectors.vendor_sales_booking_get(vendor=vendor, booking_id=booking_id)
    day_facts(booking)
    market = booking.market_day.market
    form = SalesReportForm(**posted(request), market=market, report=booking.report)
    if request.method == "POST" and form.is_valid():
        with domain_errors(form=form):
            report = services.sales_report_submit(
                user=request.user,
                booking_id=booking.pk,
                amounts=form.amounts(),
                reason=form.cleaned_data.get("reason", ""),
            )
            gross = format_money(report.gross_cents, market.currency)
            day = date_format(booking.market_day.date)
            done = "revised" if report.revised_at else "reported"
            messages.success(request, f"Sales of {day} {done}: {gross} in all.")
            return redirect("vendor-sales-report", booking_id=booking.pk)
    report = booking.report and selectors.sales_report_get(booking=booking)
    context = {
        "booking": booking,
        "market": market,
        "form": form,
        "report": report,
        "figures": currency_lines(report.amounts, market.sales_currencies) if report else [],
        "history": [
            (revision, currency_lines(revision.amounts, market.sales_currencies))
            for revision in (report.revisions.all() if report else [])
        ],
        "read_only": booking.settled or (report is not None and not booking.is_open),
    }
    return render(request, "pages/vendor_sales_report.html", context)
