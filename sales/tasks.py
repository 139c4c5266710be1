"""E-mails of sales reporting, sent as tasks (``enqueue_email``)."""

from django.urls import reverse

from marketflow.email_tasks import email_task
from marketflow.emails import absolute_url, templated_email
from sales.models import SalesReminder
from sales.selectors import reminder_days
from vendors.tasks import vendor_activation_url


@email_task
def send_sales_reminder(*, reminder_id: str):
    """The vendor's booked days still to report (across markets), each with its deadline and
    a link to its form; the days reported since the reminder was recorded are left out, and
    nothing is sent if none is left. A vendor without an account gets the link that sets
    one up first (the portal, where they report, opens after it)."""
    reminder = SalesReminder.objects.select_related("vendor").get(pk=reminder_id)
    days = reminder_days(reminder=reminder)
    if not days:
        return
    for booking in days:
        path = reverse("vendor-sales-report", kwargs={"booking_id": booking.pk})
        booking.report_url = absolute_url(path)
    yield templated_email(
        template="sales_reminder",
        to=[reminder.vendor.email],
        context={
            "vendor": reminder.vendor,
            "days": days,
            "sales_url": absolute_url(reverse("vendor-sales")),
            "activate_url": (
                vendor_activation_url(reminder.vendor) if reminder.vendor.user_id is None else ""
            ),
        },
    )
