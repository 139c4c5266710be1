"""`manage.py apply_sales_fallbacks`: run it daily (cron, a systemd timer)."""

from django.core.management.base import BaseCommand

from sales.services import sales_fallbacks_apply


class Command(BaseCommand):
    help = (
        "Charge the flat fallback (the stall's daily price, by the market's fee rule) to "
        "every booked market day whose sales report deadline has passed without a report. "
        "Safe to run again, and at the same time as another run."
    )

    def handle(self, *args, **options):
        charged = sales_fallbacks_apply()
        self.stdout.write(f"Charged the flat fallback to {charged} booking(s).")
