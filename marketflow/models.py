import datetime
import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS as KNOX_CONSTANTS
from uuid_utils.compat import uuid7

from marketflow.currencies import ISO_4217_CODES


def new_id():
    """UUIDv7: time ordered, so new rows land at the end of the primary-key index."""
    return uuid7()


class BaseModel(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def normalize_email(email: str) -> str:
    """E-mail is an identity here: compared and stored trimmed and lower-cased."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username))


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    """A person who signs in: an organizer, a vendor with an account, or platform staff."""

    class Plan(models.TextChoices):
        FREE = "free", _("Free")
        PAID = "paid", _("Paid")

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_organizer = models.BooleanField(
        default=False, help_text=_("Organizers own markets and manage them.")
    )
    plan = models.CharField(max_length=10, choices=Plan.choices, default=Plan.FREE)
    # The plan as Stripe Billing last told us (marketflow/billing.py keeps it in step).
    plan_status = models.CharField(
        max_length=30, blank=True, help_text=_("The Stripe subscription's status.")
    )
    plan_renews_at = models.DateTimeField(null=True, blank=True)
    plan_grace_until = models.DateTimeField(
        null=True, blank=True, help_text=_("Past due: the paid plan lasts until then.")
    )
    plan_event_at = models.DateTimeField(null=True, blank=True, editable=False)
    stripe_customer_id = models.CharField(max_length=255, blank=True, editable=False)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, editable=False)
    # The organizer's own Stripe account (Connect, Express): stall fees are paid into it.
    stripe_account_id = models.CharField(max_length=255, blank=True, editable=False)
    stripe_charges_enabled = models.BooleanField(default=False, editable=False)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="user_email_lowercase"
            ),
            models.UniqueConstraint(
                fields=["stripe_customer_id"],
                condition=~models.Q(stripe_customer_id=""),
                name="user_unique_stripe_customer",
            ),
            models.UniqueConstraint(
                fields=["stripe_account_id"],
                condition=~models.Q(stripe_account_id=""),
                name="user_unique_stripe_account",
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def has_paid_plan(self) -> bool:
        """The paid plan; a past-due subscription keeps it until its grace period ends."""
        if self.plan != self.Plan.PAID:
            return False
        return self.plan_grace_until is None or self.plan_grace_until > timezone.now()

    @property
    def in_billing_grace(self) -> bool:
        return self.has_paid_plan and self.plan_grace_until is not None

    @property
    def has_open_subscription(self) -> bool:
        """A Stripe subscription that is running or being paid: it is managed in Stripe's
        portal, and another upgrade would start a second one."""
        return self.plan_status in {"active", "trialing", "past_due", "incomplete"}


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox, ``KNOX_TOKEN_MODEL``): only its SHA-512 digest is
    stored, it expires, and it names the password it was issued under, so that any change of
    the password ends it (marketflow/authentication.py), as it ends the user's sessions."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    digest = models.CharField(max_length=KNOX_CONSTANTS.DIGEST_LENGTH, unique=True)
    token_key = models.CharField(max_length=25)  # knox's first characters; never looked up
    password_check = models.CharField(max_length=64)  # user.get_session_auth_hash() at issue

    def __str__(self):
        return f"{self.user} until {self.expiry:%Y-%m-%d %H:%M}"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not an IANA time zone."), params={"value": value})


def validate_currency(value: str) -> None:
    if value not in ISO_4217_CODES:
        raise ValidationError(
            _("“%(value)s” is not an ISO 4217 currency code."), params={"value": value}
        )


class DocumentType(models.TextChoices):
    """Kinds of vendor documents; a market may require some of them with each application."""

    INSURANCE = "insurance", _("Insurance certificate")
    HEALTH_PERMIT = "health_permit", _("Health permit")
    BUSINESS_LICENSE = "business_license", _("Business license")
    PRODUCT_PHOTO = "product_photo", _("Product photo")
    OTHER = "other", _("Other document")


def validate_document_types(value) -> None:
    """A list of distinct document types (a market's required documents)."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Give a list of document types."), code="document_types_not_a_list")
    unknown = [item for item in value if item not in DocumentType.values]
    if unknown:
        raise ValidationError(
            _("Unknown document type: %(unknown)s. Choose from: %(known)s."),
            code="document_type_unknown",
            params={"unknown": ", ".join(unknown), "known": ", ".join(DocumentType.values)},
        )
    if len(set(value)) != len(value):
        raise ValidationError(
            _("Each document type may appear only once."), code="document_type_duplicate"
        )


MAX_PRODUCT_CATEGORIES = 10


class ProductCategory(models.TextChoices):
    PRODUCE = "produce", _("Produce")
    BAKED_GOODS = "baked_goods", _("Baked goods")
    CRAFTS = "crafts", _("Crafts")
    PREPARED_FOOD = "prepared_food", _("Prepared food")
    BEVERAGES = "beverages", _("Beverages")
    OTHER = "other", _("Other")


def category_label_list(values) -> list[str]:
    """``["Produce", "Prepared food"]``: categories as people read them (an unknown code as
    is)."""
    labels = dict(ProductCategory.choices)
    return [str(labels.get(value, value)) for value in values or ()]


def category_labels(values) -> str:
    """``Produce, Prepared food``: ``category_label_list`` in one line."""
    return ", ".join(category_label_list(values))


# A model field replaces a validator's message when the code is one of its own error codes
# ("invalid", "invalid_choice", ...), so these codes are deliberately distinct.
def validate_product_categories(value) -> None:
    """1 to 10 known categories, no duplicates. Shared by the model, API, pages and admin."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Give a list of product categories."), code="categories_not_a_list")
    if not value:
        raise ValidationError(_("Choose at least one product category."), code="categories_empty")
    if len(value) > MAX_PRODUCT_CATEGORIES:
        raise ValidationError(
            _("Choose at most %(max)d product categories."),
            code="categories_too_many",
            params={"max": MAX_PRODUCT_CATEGORIES},
        )
    unknown = [item for item in value if item not in ProductCategory.values]
    if unknown:
        raise ValidationError(
            _("Unknown product category: %(unknown)s. Choose from: %(known)s."),
            code="category_unknown",
            params={
                "unknown": ", ".join(f"“{item}”" for item in unknown),
                "known": ", ".join(ProductCategory.values),
            },
        )
    if len(set(value)) != len(value):
        raise ValidationError(
            _("Each product category may appear only once."), code="category_duplicate"
        )


def all_product_categories() -> list[str]:
    return list(ProductCategory.values)


MAX_LATE_CANCELLATION_HOURS = 24 * 30
MAX_SALES_REPORT_DAYS = 30


class SalesCurrency(models.TextChoices):
    """What a vendor takes in at a market: the currencies of a sales report (a market chooses
    which of them it uses, ``Market.sales_currencies``)."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    SNAP = "snap", _("SNAP/EBT tokens")
    WIC = "wic", _("WIC/FMNP coupons")
    MARKET_TOKENS = "market_tokens", _("Market tokens")
    INCENTIVE = "incentive", _("Incentive matches (Double Up bucks)")


# Tokens the market issues and redeems: what a vendor took in of these, the market owes them
# (token reconciliation). WIC/FMNP coupons are deposited by the vendor, cash and card are theirs.
TOKEN_CURRENCIES = (SalesCurrency.SNAP, SalesCurrency.MARKET_TOKENS, SalesCurrency.INCENTIVE)


def all_sales_currencies() -> list[str]:
    return list(SalesCurrency.values)


def validate_sales_currencies(value) -> None:
    """1 to 6 distinct known currencies (a market's sales report form)."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Give a list of currencies."), code="currencies_not_a_list")
    if not value:
        raise ValidationError(_("Choose at least one currency."), code="currencies_empty")
    unknown = [item for item in value if item not in SalesCurrency.values]
    if unknown:
        raise ValidationError(
            _("Unknown currency: %(unknown)s. Choose from: %(known)s."),
            code="currency_unknown",
            params={"unknown": ", ".join(unknown), "known": ", ".join(SalesCurrency.values)},
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Each currency may appear only once."), code="currency_duplicate")


DEFAULT_GROSS_SALES_DEFINITION = (
    "Everything your customers paid you at this market day, in every currency (cash, card, "
    "tokens, coupons and incentive matches), before fees, costs or taxes you owe."
)

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _("Use lower-case letters, digits and single hyphens."),
)


class Market(BaseModel):
    class WaitlistOrder(models.TextChoices):
        FIRST_COME = "first_come", _("First come, first served")
        PRIORITY = "priority", _("Priority points, then first come")

    organizer = models.ForeignKey(
        "marketflow.User",
        on_delete=models.PROTECT,
        related_name="markets",
        db_index=False,  # led by the (organizer, name) index
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True, validators=[slug_validator])
    description = models.TextField(
        max_length=2000, blank=True, validators=[MaxLengthValidator(2000)]
    )
    location = models.CharField(max_length=300, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    currency = models.CharField(max_length=3, default="USD", validators=[validate_currency])
    is_active = models.BooleanField(default=True)
    accepted_categories = models.JSONField(
        default=all_product_categories,
        validators=[validate_product_categories],
        help_text=_("Product categories this market accepts applications for."),
        error_messages={"blank": _("Choose at least one product category.")},
    )
    required_document_types = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_document_types],
        help_text=_("Documents every application to this market must include."),
    )
    late_cancellation_hours = models.PositiveSmallIntegerField(
        default=48,
        validators=[MaxValueValidator(MAX_LATE_CANCELLATION_HOURS)],
        help_text=_(
            "A booking cancelled less than this many hours before its market day starts is a "
            "late cancellation, counted against the vendor."
        ),
    )
    no_show_fee_cents = models.PositiveIntegerField(
        default=0,
        help_text=_(
            "In cents of the market's currency: added to the statement of a vendor marked a "
            "no-show at check-in (0: none)."
        ),
    )
    # Each required document's expiry rule: the types listed here expire (a vendor's document
    # of such a type counts until its ``expires_on`` only); the others never do.
    expiring_document_types = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_document_types],
        help_text=_("Required documents that expire: valid until their expiry date only."),
    )
    waitlist_order = models.CharField(
        max_length=12,
        choices=WaitlistOrder.choices,
        default=WaitlistOrder.FIRST_COME,
        help_text=_("Who on a full market day's waitlist is offered a freed stall first."),
    )

    class CancelledDayPolicy(models.TextChoices):
        CREDIT = "credit", _("Credit the fee toward the vendor's next day")
        REFUND = "refund", _("Refund the fee")

    cancelled_day_policy = models.CharField(
        max_length=10,
        choices=CancelledDayPolicy.choices,
        default=CancelledDayPolicy.CREDIT,
        help_text=_(
            "When a market day is cancelled (weather), what becomes of the fees its vendors "
            "paid: a credit toward their next booking here, or a refund (card payments "
            "through Stripe, cash ones by you)."
        ),
    )

    # Sales reporting (the sales app): what vendors report after each day, and the fee rule.
    sales_currencies = models.JSONField(
        default=all_sales_currencies,
        validators=[validate_sales_currencies],
        help_text=_("The currencies vendors report their sales in at this market."),
        error_messages={"blank": _("Choose at least one currency.")},
    )
    gross_sales_definition = models.TextField(
        max_length=1000,
        default=DEFAULT_GROSS_SALES_DEFINITION,
        validators=[MaxLengthValidator(1000)],
        help_text=_("What “gross sales” means here: shown to vendors on the report form."),
    )

    class SalesFeeRule(models.TextChoices):
        FLAT = "flat", _("Flat: the stall's daily price")
        PERCENT = "percent", _("A percentage of gross sales")
        HIGHER = "higher", _("The higher of the two")

    sales_fee_rule = models.CharField(
        max_length=10,
        choices=SalesFeeRule.choices,
        default=SalesFeeRule.FLAT,
        help_text=_(
            "What a vendor pays for a market day. A percentage is computed when the vendor "
            "reports; a vendor who reports late or not at all pays the stall's daily price."
        ),
    )
    sales_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The percentage of gross sales, e.g. 6.00 (percentage rules only)."),
    )
    sales_fee_cap_cents = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "In cents of the market's currency: the most a percentage fee comes to for one day "
            "(empty: no cap)."
        ),
    )
    sales_report_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(MAX_SALES_REPORT_DAYS)],
        help_text=_(
            "Vendors report a day's sales by the end of this many days after it (0: the same "
            "day); later is late, and the fee falls back to the stall's daily price."
        ),
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["organizer", "name"], name="market_organizer_name")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        required = self.required_document_types or []
        if any(kind not in required for kind in self.expiring_document_types or []):
            raise ValidationError(
                {"expiring_document_types": _("Only a required document can have an expiry rule.")}
            )
        if self.sales_fee_rule != self.SalesFeeRule.FLAT and not self.sales_fee_percent:
            raise ValidationError(
                {"sales_fee_percent": _("A percentage rule needs a percentage above 0.")}
            )

    def sales_report_deadline(self, date) -> datetime.date:
        """The last day (at the market) a report of market day ``date`` is on time."""
        return date + datetime.timedelta(days=self.sales_report_days)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def today(self):
        """The calendar date at the market right now, in the market's own time zone."""
        return timezone.now().astimezone(self.tz).date()

    def at(self, date, time) -> datetime.datetime:
        """``date`` at ``time`` at the market, as an aware datetime."""
        return datetime.datetime.combine(date, time, tzinfo=self.tz)


class MarketDay(BaseModel):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        CANCELLED = "cancelled", _("Cancelled")

    market = models.ForeignKey(Market, on_delete=models.CASCADE, related_name="market_days")
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    note = models.CharField(max_length=300, blank=True)
    offers_paused = models.BooleanField(
        default=False,
        help_text=_("No waitlist offers for this day: a freed stall stays free to book."),
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["market", "date"], name="market_day_unique_date"),
            models.CheckConstraint(
                condition=models.Q(start_time__lt=models.F("end_time")),
                name="market_day_starts_before_end",
            ),
        ]

    def __str__(self):
        return f"{self.market} – {date_format(self.date)}"

    def clean(self):
        # The constraint's rule, as a message on the field (forms, API, services).
        if self.start_time and self.end_time and self.start_time >= self.end_time:
            raise ValidationError({"end_time": _("The end time must be after the start.")})

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def starts_at(self) -> datetime.datetime:
        return self.market.at(self.date, self.start_time)

    @property
    def is_open(self) -> bool:
        """Vendors can still be booked: scheduled, and not yet passed at the market."""
        return not self.is_cancelled and self.date >= self.market.today()


# A market day's life as data: services consult this map and name both states on refusal.
# A cancelled day keeps its bookings (as records, and for payments or refunds) and takes no
# new ones; reinstating it (the storm passed) brings it back with them.
MARKET_DAY_TRANSITIONS: dict[str, set[str]] = {
    MarketDay.Status.SCHEDULED: {MarketDay.Status.CANCELLED},
    MarketDay.Status.CANCELLED: {MarketDay.Status.SCHEDULED},
}


class SuppressedAddress(BaseModel):
    """An e-mail address the provider reported as bounced or complained about (its signed
    tracking webhook, marketflow/email_tracking.py). Nothing is sent to it
    (marketflow/email_tasks.py) until an organizer clears the flag; keyed by the address, so a
    vendor or user whose address changes is mailed again at the new one."""

    class Kind(models.TextChoices):
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained (marked as spam)")

    email = models.EmailField(max_length=254, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=500, blank=True)
    provider_event_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("suppressed e-mail address")
        verbose_name_plural = _("suppressed e-mail addresses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="suppressed_address_lowercase"
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_kind_display()})"


class StripeEvent(BaseModel):
    """A Stripe webhook event that has been handled: its row is inserted in the transaction
    that applies it, so an event delivered twice (even at the same moment) applies once."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=255, blank=True)  # a connected account's events

    def __str__(self):
        return f"{self.type} {self.event_id}"
