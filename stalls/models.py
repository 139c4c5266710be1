from django.db import models
from django.utils.translation import gettext_lazy as _

from marketflow.models import BaseModel, MarketDay


class Stall(BaseModel):
    market = models.ForeignKey(
        "marketflow.Market", on_delete=models.CASCADE, related_name="stalls", db_index=True
    )
    label = models.CharField(max_length=50)
    size_category = models.CharField(max_length=20, blank=True)
    price_per_day = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("In cents of the market's currency.")
    )
    assigned_vendor = models.ForeignKey(
        "vendors.Vendor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="regular_stalls",
        help_text=_("The stall's regular vendor."),
    )
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["market", "label"], name="stall_unique_label"),
            models.CheckConstraint(
                condition=models.Q(price_per_day__gte=0) | models.Q(price_per_day__isnull=True),
                name="stall_price_not_negative",
            ),
        ]

    def __str__(self):
        return self.label


# A booking that holds its stall: not cancelled. A cancelled booking is kept as a record (how
# it was paid, its refund), but frees the stall and the vendor's day: the one condition of
# ``active()``, the two unique constraints and the fee totals.
ACTIVE = models.Q(cancelled_at__isnull=True)


class BookingQuerySet(models.QuerySet):
    def active(self) -> "BookingQuerySet":
        """Bookings that hold their stall (``ACTIVE``)."""
        return self.filter(ACTIVE)


class Booking(BaseModel):
    """One vendor on one stall on one market day; kept when cancelled (``cancelled_at``)."""

    class PaymentStatus(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PAID = "paid", _("Paid")
        WAIVED = "waived", _("Waived")
        REFUNDED = "refunded", _("Refunded")

    class PaymentMethod(models.TextChoices):
        CASH = "cash", _("Cash")
        CARD = "card", _("Card (Stripe)")
        WAIVED = "waived", _("Waived")
        CREDIT = "credit", _("Credit (a cancelled day's fee)")
        SETTLEMENT = "settlement", _("Settled against tokens")

    class Attendance(models.TextChoices):
        ARRIVED = "arrived", _("Arrived")
        LATE = "late", _("Late")
        NO_SHOW = "no_show", _("No-show")

    market_day = models.ForeignKey(
        "marketflow.MarketDay",
        on_delete=models.PROTECT,
        related_name="bookings",
        db_index=False,  # led by the (market_day, stall) index
    )
    stall = models.ForeignKey(Stall, on_delete=models.PROTECT, related_name="bookings")
    vendor = models.ForeignKey(
        "vendors.Vendor",
        on_delete=models.PROTECT,
        related_name="bookings",
        db_index=False,  # led by the (vendor, market_day) index
    )
    fee_cents = models.PositiveIntegerField(default=0)
    payment_status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_method = models.CharField(
        max_length=10, choices=PaymentMethod.choices, blank=True, help_text=_("How it was paid.")
    )
    # Card payments: the Stripe payment intent the fee was paid with.
    payment_reference = models.CharField(max_length=255, blank=True)
    booked_by = models.ForeignKey(
        "marketflow.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Check-in on the day: recorded by the organizer, the last tap wins.
    attendance = models.CharField(max_length=10, choices=Attendance.choices, blank=True)
    attendance_at = models.DateTimeField(null=True, blank=True)
    attendance_by = models.ForeignKey(
        "marketflow.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    no_show_fee_cents = models.PositiveIntegerField(
        default=0, help_text=_("The market's no-show fee, charged when marked a no-show.")
    )
    # Null while the booking holds its stall; set when it is cancelled (the row is kept).
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "marketflow.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    # A card payment refunded through Stripe: the refund's id and when.
    refund_reference = models.CharField(max_length=255, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # A fee paid in cash that the organizer owes back (booking or day cancelled), until the
    # refund is recorded.
    refund_due = models.BooleanField(default=False)
    # The part of the stall's price paid by the vendor's credits (``fee_cents`` is the rest).
    credit_cents = models.PositiveIntegerField(default=0)
    # The market's sales fee rule (sales app): what the day comes to beyond ``fee_cents`` (a
    # percentage of the vendor's reported gross, or the flat fallback of a day not reported in
    # time), with how it was computed; paid apart from ``fee_cents`` (``sales_fee_status``).
    sales_fee_cents = models.PositiveIntegerField(default=0)
    sales_fee_note = models.CharField(max_length=300, blank=True)
    sales_fee_status = models.CharField(
        max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["market_day", "stall"],
                condition=ACTIVE,
                name="booking_unique_stall_per_day",
            ),
            models.UniqueConstraint(
                fields=["market_day", "vendor"],
                condition=ACTIVE,
                name="booking_unique_vendor_per_day",
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "market_day"], name="booking_vendor_day"),
            # The unique constraints are partial (active bookings): this one covers every row.
            models.Index(fields=["market_day", "stall"], name="booking_day_stall"),
        ]

    def __str__(self):
        return f"{self.stall} on {self.market_day}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


# What a vendor owes: the fees of active bookings on days that take place (a cancelled day's or
# booking's fee is not owed), the stall fee and the sales fee each while unpaid. The fee
# statements' "due" and the token settlements count the same.
OWED_DAY = models.Q(market_day__status=MarketDay.Status.SCHEDULED) & ACTIVE
STALL_FEE_DUE = models.Q(payment_status=Booking.PaymentStatus.UNPAID, fee_cents__gt=0)
SALES_FEE_DUE = models.Q(sales_fee_status=Booking.PaymentStatus.UNPAID, sales_fee_cents__gt=0)


class VendorCreditQuerySet(models.QuerySet):
    def available(self) -> "VendorCreditQuerySet":
        return self.filter(used_on__isnull=True, withdrawn_at__isnull=True)


class VendorCredit(BaseModel):
    """A vendor's credit at a market: a paid fee of a market day that was cancelled, applied
    to the fee of the vendor's next booking there (``used_on``). Withdrawn when the day is
    reinstated before it was used."""

    market = models.ForeignKey(
        "marketflow.Market", on_delete=models.CASCADE, related_name="vendor_credits"
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.PROTECT, related_name="credits", db_index=False
    )
    amount_cents = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    source_booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, related_name="credits_given"
    )
    used_on = models.ForeignKey(
        Booking,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credits_used",
    )
    used_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = VendorCreditQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["vendor", "market"], name="vendor_credit_vendor_market"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_cents__gt=0), name="vendor_credit_positive"
            ),
        ]

    def __str__(self):
        return f"{self.vendor} credit {self.amount_cents}"


class LateCancellation(BaseModel):
    """A booking cancelled less than its market's ``late_cancellation_hours`` before the day
    started, counted against the vendor; written by the cancelling service, so it stays
    whether the booking row is deleted or kept."""

    market_day = models.ForeignKey(
        "marketflow.MarketDay",
        on_delete=models.CASCADE,
        related_name="late_cancellations",
        db_index=False,  # the (vendor, market_day) index leads with the vendor
    )
    vendor = models.ForeignKey(
        "vendors.Vendor",
        on_delete=models.CASCADE,
        related_name="late_cancellations",
        db_index=False,
    )
    stall_label = models.CharField(max_length=50)
    cancelled_by = models.ForeignKey(
        "marketflow.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["vendor", "market_day"], name="late_cancellation_vendor_day"),
            models.Index(fields=["market_day"], name="late_cancellation_day"),
        ]

    def __str__(self):
        return f"{self.stall_label} on {self.market_day}"


class MarketMessage(BaseModel):
    """One e-mail an organizer wrote to the accepted vendors of a market, or to the vendors
    booked on one of its days (rain, a new layout), kept as the market's history: who was
    written to, and whose address had bounced (not written to)."""

    class Audience(models.TextChoices):
        ACCEPTED = "accepted", _("Every accepted vendor of the market")
        MARKET_DAY = "market_day", _("The vendors booked on one market day")

    market = models.ForeignKey(
        "marketflow.Market", on_delete=models.CASCADE, related_name="messages"
    )
    audience = models.CharField(max_length=12, choices=Audience.choices)
    market_day = models.ForeignKey(
        "marketflow.MarketDay",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        help_text=_("For the vendors booked on one market day only."),
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=5000)
    sent_by = models.ForeignKey(
        "marketflow.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.JSONField(
        default=list, blank=True, help_text=_("The addresses written to.")
    )
    bounced = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Vendors' addresses that bounced before: not written to."),
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience="accepted", market_day__isnull=True)
                | models.Q(audience="market_day", market_day__isnull=False),
                name="market_message_day_for_day_audience",
            ),
        ]
        indexes = [models.Index(fields=["market", "id"], name="market_message_market_id")]

    def __str__(self):
        return self.subject


class WaitlistEntry(BaseModel):
    """An accepted vendor asking for a stall on one market day that is full. The market's
    ``waitlist_order`` ranks the waiting entries: first come (``created_at``), or priority
    points (set by the organizer), then first come."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Offered a stall")
        BOOKED = "booked", _("Booked")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Let the offer expire")
        CLOSED = "closed", _("Closed")  # left the waitlist, withdrew or was revoked

    OPEN_STATES = (State.WAITING, State.OFFERED)

    market_day = models.ForeignKey(
        "marketflow.MarketDay",
        on_delete=models.CASCADE,
        related_name="waitlist",
        db_index=False,  # led by the (market_day, state) index
    )
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    priority_points = models.PositiveIntegerField(
        default=0, help_text=_("Set by the organizer; more points are offered first.")
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)

    class Meta:
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["market_day", "vendor"],
                condition=models.Q(state__in=["waiting", "offered"]),
                name="waitlist_one_open_entry",
            ),
        ]
        indexes = [models.Index(fields=["market_day", "state"], name="waitlist_day_state")]

    def __str__(self):
        return f"{self.vendor} waiting for {self.market_day}"


class StallOffer(BaseModel):
    """A freed stall offered to the first waiting vendor of the day, until ``expires_at``.
    An open offer holds its stall: nobody else is offered it or booked onto it meanwhile."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    market_day = models.ForeignKey(
        "marketflow.MarketDay",
        on_delete=models.CASCADE,
        related_name="stall_offers",
        db_index=False,  # led by the (market_day, stall) unique index
    )
    stall = models.ForeignKey(Stall, on_delete=models.CASCADE, related_name="offers")
    vendor = models.ForeignKey(
        "vendors.Vendor", on_delete=models.CASCADE, related_name="stall_offers"
    )
    position = models.PositiveIntegerField(
        help_text=_("The vendor's place on the waitlist when offered (1: first).")
    )
    expires_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["market_day", "stall"],
                condition=models.Q(state="open"),
                name="stall_offer_one_open_per_stall",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=models.Q(state="open"), name="stall_offer_open"
            ),
            models.Index(fields=["vendor", "state"], name="stall_offer_vendor_state"),
        ]

    def __str__(self):
        return f"Stall {self.stall} offered to {self.vendor} for {self.market_day}"
