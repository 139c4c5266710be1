"""Sales reporting: what each vendor took in on a market day, by currency; its revisions;
the reminders sent to vendors who have not reported; and settlements, where the tokens a
vendor took in (owed by the market) are netted against the fees the vendor owes."""

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from marketflow.models import TOKEN_CURRENCIES, BaseModel, SalesCurrency

# One report's amount per currency is at most this (cents): 1,000,000.00 a day.
MAX_AMOUNT_CENTS = 100_000_000
REVISION_REASON_MAX_LENGTH = 300


def amount_field(code: str) -> str:
    """The report's column of currency ``code``: ``cash`` → ``cash_cents``."""
    return f"{code}_cents"


def currency_lines(amounts: dict[str, int], currencies: list[str]) -> list[tuple[str, int]]:
    """(label, cents) of each currency of ``currencies`` (a market's) in ``amounts``."""
    labels = dict(SalesCurrency.choices)
    return [(labels[code], amounts.get(code, 0)) for code in currencies]


TOKEN_FIELDS = [amount_field(code) for code in TOKEN_CURRENCIES]


class SalesReport(BaseModel):
    """A vendor's gross sales on one booked market day, split by currency (one column each,
    in cents of the market's currency; a currency the market does not use stays 0).
    ``gross_cents`` is their sum. Revised in place: each revision keeps the earlier amounts
    and the reason (``SalesReportRevision``)."""

    booking = models.OneToOneField(
        "stalls.Booking", on_delete=models.PROTECT, related_name="sales_report"
    )
    # Copied from the booking, so reports aggregate by market, day and vendor without joins.
    market = models.ForeignKey(
        "marketflow.Market",
        on_delete=models.CASCADE,
        related_name="sales_reports",
        db_index=False,  # led by the (market, market_day) index
    )
    market_day = models.ForeignKey(
        "marketflow.MarketDay", on_delete=models.PROTECT, related_name="sales_reports"
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, related_name="sales_reports"
    )
    cash_cents = models.PositiveIntegerField(default=0)
    card_cents = models.PositiveIntegerField(default=0)
    snap_cents = models.PositiveIntegerField(default=0)
    wic_cents = models.PositiveIntegerField(default=0)
    market_tokens_cents = models.PositiveIntegerField(default=0)
    incentive_cents = models.PositiveIntegerField(default=0)
    gross_cents = models.PositiveBigIntegerField(default=0)
    reported_by = models.ForeignKey(
        "marketflow.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Reported after the market's deadline (``Market.sales_report_deadline``): the fee is the
    # flat fallback whatever the figures.
    late = models.BooleanField(default=False)
    revised_at = models.DateTimeField(null=True, blank=True)
    # The settlement that paid the vendor for this report's tokens, once settled.
    settlement = models.ForeignKey(
        "sales.Settlement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )

    class Meta:
        ordering = ["market_day__date", "vendor__business_name"]
        indexes = [
            models.Index(fields=["market", "market_day"], name="sales_report_market_day"),
            # The organizer's list of reports, newest first (cursor on the UUIDv7 id): without
            # it PostgreSQL walks the primary key back through every market's reports.
            models.Index(fields=["market", "-id"], name="sales_report_market_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    gross_cents=F("cash_cents")
                    + F("card_cents")
                    + F("snap_cents")
                    + F("wic_cents")
                    + F("market_tokens_cents")
                    + F("incentive_cents")
                ),
                name="sales_report_gross_is_sum",
            ),
        ]

    def __str__(self):
        return f"{self.vendor} sales on {self.market_day}"

    @property
    def amounts(self) -> dict[str, int]:
        """``{currency code: cents}`` of every currency."""
        return {code: getattr(self, amount_field(code)) for code in SalesCurrency.values}

    @property
    def tokens_cents(self) -> int:
        """What the market owes the vendor for the tokens taken in."""
        return sum(getattr(self, field) for field in TOKEN_FIELDS)


class SalesReportRevision(BaseModel):
    """The amounts of a report before one revision, and why it was revised."""

    report = models.ForeignKey(SalesReport, on_delete=models.CASCADE, related_name="revisions")
    amounts = models.JSONField(help_text=_("The earlier amounts: {currency: cents}."))
    gross_cents = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=REVISION_REASON_MAX_LENGTH)
    revised_by = models.ForeignKey(
        "marketflow.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Revision of {self.report}"

    @property
    def by_organizer(self) -> bool:
        """Revised by the market's organizer (a correction), not by the vendor."""
        return self.revised_by_id != self.report.vendor.user_id


class SalesReminder(BaseModel):
    """One reminder e-mail to a vendor about the market days they have not reported: at most
    one a day per vendor (``sent_on``, the platform's date), whatever the markets."""

    vendor = models.ForeignKey(
        "vendors.Vendor",
        on_delete=models.CASCADE,
        related_name="sales_reminders",
        db_index=False,  # led by the unique (vendor, sent_on) index
    )
    sent_on = models.DateField()
    bookings = models.JSONField(default=list, help_text=_("The bookings reminded of (ids)."))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "sent_on"], name="sales_reminder_one_per_day"
            ),
        ]

    def __str__(self):
        return f"Sales reminder to {self.vendor} on {self.sent_on}"


class Settlement(BaseModel):
    """The organizer settling up with a vendor at a market: the tokens the vendor took in
    (``tokens_cents``, the reports settled) net of the fees the vendor owed (``fees_cents``,
    the bookings' stall and sales fees it paid). ``net_cents`` is what changed hands: above
    0 the market paid the vendor, below 0 the vendor paid the market."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CHECK = "check", _("Check")
        TRANSFER = "transfer", _("Bank transfer")
        NONE = "none", _("Nothing changed hands")

    market = models.ForeignKey(
        "marketflow.Market", on_delete=models.CASCADE, related_name="settlements"
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, related_name="settlements"
    )
    tokens_cents = models.PositiveBigIntegerField()
    fees_cents = models.PositiveBigIntegerField()
    net_cents = models.BigIntegerField()
    method = models.CharField(max_length=10, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True, help_text=_("A check number, ..."))
    bookings = models.ManyToManyField(
        "stalls.Booking", blank=True, related_name="settlements", help_text=_("Fees settled.")
    )
    created_by = models.ForeignKey(
        "marketflow.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(net_cents=F("tokens_cents") - F("fees_cents")),
                name="settlement_net_is_difference",
            ),
        ]

    def __str__(self):
        return f"Settlement with {self.vendor} at {self.market}"
