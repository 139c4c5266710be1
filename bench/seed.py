"""Seed the bench database at platform scale through PostgreSQL's COPY.

At scale 1: 2,000 markets, 60,000 stalls, 100,000 vendors, 300,000 applications in every
status, 60,000 market days and 1,000,000 bookings, plus one small market with its own
organizer and vendors. Every market of the large set has the same shape, so any of them is
"a market inside the large set":

- 30 stalls, 30 weekly market days (15 past, 15 to come), 150 applications from a window of
  150 distinct vendors: 45 accepted, 55 pending, 20 waitlisted, 20 rejected, 10 withdrawn.
  Windows overlap (each vendor applies to three markets) and a vendor has at most one
  application per market, so "one open application per vendor and market" holds.
- Every third vendor is listed in the public vendor directory (so about 15 of a market's 45
  accepted vendors appear there).
- Bookings: 16 or 17 of the 30 stalls per day, only to vendors accepted at that market; the
  first accepted vendor of each market is booked on every day (the "large" portal vendor).

The small market has 30 stalls too (a stall board is as wide as the market's stalls, so the
boards compare like for like), 20 market days (5 past, 15 to come), 95 applications from 95
vendors of its own, 17 bookings a day. Ids are UUIDv7, generated here in creation order.

Constraints are checked by PostgreSQL while loading (unique, check and deferred foreign keys),
and the rules it cannot check (a booking's vendor is accepted at the market, its stall and day
belong to the same market) are verified by queries after loading.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

import orjson
import psycopg
from uuid_utils.compat import uuid7

STALLS_PER_MARKET = 30
DAYS_PER_MARKET = 30  # half past, half to come
APPLICATIONS_PER_MARKET = 150
# Statuses by position in a market's window of vendors: (status, how many).
STATUS_LAYOUT = (
    ("accepted", 45),
    ("pending", 55),
    ("waitlisted", 20),
    ("rejected", 20),
    ("withdrawn", 10),
)
# As many accepted vendors as a large-set market (the admin board offers them all), and 20
# pending and 20 waitlisted: pages of 20 are as full as the large-set market's.
SMALL_STATUS_LAYOUT = (
    ("accepted", 45),
    ("pending", 20),
    ("waitlisted", 20),
    ("rejected", 5),
    ("withdrawn", 5),
)
SMALL_DAYS_PAST, SMALL_DAYS_TO_COME = 5, 15
SMALL_BOOKINGS_PER_DAY = 17
TIMEZONES = ("Europe/Berlin", "America/New_York", "America/Chicago", "Europe/London", "UTC")
CATEGORIES = ("produce", "baked_goods", "crafts", "prepared_food", "beverages", "other")
SIZES = ("small", "medium", "large")
# Bump when the data set's shape changes: a kept database of another version is reseeded.
SEED_VERSION = 7
# Every market requires an insurance certificate, which expires (readiness, reminders), but
# one: the market next to the measured one takes applications without documents, and the
# public apply is measured there (an application to the others needs an upload).
REQUIRED_DOCUMENTS = '["insurance"]'
NO_DOCUMENTS = "[]"
BENCH_PASSWORD = "bench-password-not-secret"
EMAIL_DOMAIN = "bench.example.com"


@dataclass
class Counts:
    markets: int
    stalls: int
    vendors: int
    applications: int
    market_days: int
    bookings: int

    @classmethod
    def for_scale(cls, scale: float) -> Counts:
        markets = max(2, round(2_000 * scale))
        vendors = max(APPLICATIONS_PER_MARKET + 50, round(100_000 * scale))
        return cls(
            markets=markets,
            stalls=markets * STALLS_PER_MARKET,
            vendors=vendors,
            applications=markets * APPLICATIONS_PER_MARKET,
            market_days=markets * DAYS_PER_MARKET,
            bookings=min(round(1_000_000 * scale), markets * DAYS_PER_MARKET * 28),
        )


@dataclass
class SeedInfo:
    """What the harness needs to know about the seeded data; stored in ``bench_seed``."""

    scale: float
    counts: dict
    seconds: float
    seeded_at: str
    # The market inside the large set, its organizer and its portal vendor.
    market_id: str = ""
    market_slug: str = ""
    organizer_email: str = ""
    organizer_token: str = ""
    vendor_id: str = ""
    vendor_email: str = ""
    vendor_token: str = ""
    # The small market, measured side by side.
    small_market_id: str = ""
    small_market_slug: str = ""
    small_organizer_email: str = ""
    small_organizer_token: str = ""
    small_vendor_id: str = ""
    small_vendor_email: str = ""
    small_vendor_token: str = ""
    password: str = BENCH_PASSWORD
    steps: dict = field(default_factory=dict)
    version: int = 0


# A booking's amounts by currency (cents), from ``h``, a hash of its id: cash and card on
# every report, SNAP on one in three, WIC on one in four, tokens and incentives on one in five.
SALES_AMOUNTS = {
    "cash": "5000 + mod(h, 40000)",
    "card": "mod(h / 7, 30000)",
    "snap": "CASE WHEN mod(h, 3) = 0 THEN mod(h / 11, 6000) ELSE 0 END",
    "wic": "CASE WHEN mod(h, 4) = 1 THEN mod(h / 13, 3000) ELSE 0 END",
    "market_tokens": "CASE WHEN mod(h, 5) = 2 THEN mod(h / 17, 4000) ELSE 0 END",
    "incentive": "CASE WHEN mod(h, 5) = 3 THEN mod(h / 19, 2000) ELSE 0 END",
}
# A UUIDv7 in SQL (PostgreSQL before 18 has no uuidv7()): the millisecond clock in the first
# 48 bits of a random UUID, then the version bits set to 7.
UUID7_SQL = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing "
    "substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) "
    "FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid"
)


class Copier:
    """COPY rows into a Django model's table; columns the seeder does not give get the
    model field's default, so a column added later does not break the seeder."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def copy(self, model, fields: list[str], rows) -> int:
        from django.db import connection as django_connection

        opts = model._meta
        by_attname = {f.attname: f for f in opts.concrete_fields}
        unknown = set(fields) - set(by_attname)
        if unknown:
            raise ValueError(f"{opts.label} has no fields {sorted(unknown)}")
        filled = []
        for name, model_field in by_attname.items():
            if name in fields:
                continue
            value = model_field.get_db_prep_save(model_field.get_default(), django_connection)
            filled.append((model_field.column, value))
        columns = [by_attname[name].column for name in fields] + [c for c, _ in filled]
        constants = tuple(v for _, v in filled)
        quoted = ", ".join(f'"{c}"' for c in columns)
        count = 0
        statement = f'COPY "{opts.db_table}" ({quoted}) FROM STDIN'
        with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row + constants if constants else row)
                count += 1
        return count


def _json(value) -> str:
    return orjson.dumps(value).decode()


def _categories(index: int) -> str:
    first = CATEGORIES[index % len(CATEGORIES)]
    second = CATEGORIES[(index * 7 + 3) % len(CATEGORIES)]
    return _json([first] if first == second else [first, second])


def _listing(index: int) -> tuple[bool, str]:
    """Every third vendor is listed in the public directory, with a short description (no
    photo: the bench measures the lists, not the files)."""
    listed = index % 3 == 0
    return listed, "Seasonal produce from the valley." if listed else ""


def _layout_statuses(layout) -> list[str]:
    return [status for status, count in layout for _ in range(count)]


def seed(conn: psycopg.Connection, *, scale: float, log=print) -> SeedInfo:
    """Load the whole data set into an empty, migrated database. Django must be set up."""
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS as KNOX_CONSTANTS

    from applications.models import Application
    from marketflow.models import ApiToken, Market, MarketDay, User
    from stalls.models import Booking, Stall
    from vendors.models import DocumentReview, Vendor, VendorDocument

    counts = Counts.for_scale(scale)
    started = time.perf_counter()
    steps: dict[str, float] = {}
    copier = Copier(conn)
    now = datetime.now(UTC)
    today = now.date()
    statuses = _layout_statuses(STATUS_LAYOUT)
    assert len(statuses) == APPLICATIONS_PER_MARKET
    small_statuses = _layout_statuses(SMALL_STATUS_LAYOUT)
    accepted_per_market = statuses.count("accepted")
    small_accepted = small_statuses.count("accepted")
    stride = counts.vendors // counts.markets
    from django.contrib.auth.hashers import make_password

    password_hash = make_password(BENCH_PASSWORD)  # hashed once, shared by every bench user

    def step(name: str, load) -> None:
        began = time.perf_counter()
        with conn.transaction():
            rows = load()
        steps[name] = round(time.perf_counter() - began, 2)
        log(f"  {name:<13} {rows:>9,} rows  {steps[name]:6.1f} s")

    # --- users: one organizer per market (paid plan), the small market's organizer, and
    # accounts for the two portal vendors.
    organizer_ids = [uuid7() for _ in range(counts.markets + 1)]
    subject = counts.markets // 2  # the market inside the large set that the bench measures
    subject_vendor_index = (subject * stride) % counts.vendors  # its first accepted vendor
    vendor_user_id, small_vendor_user_id = uuid7(), uuid7()

    def organizer_email(index: int) -> str:
        return f"organizer-{index:05d}@{EMAIL_DOMAIN}"

    def vendor_email(index: int) -> str:
        return f"vendor-{index:06d}@{EMAIL_DOMAIN}"

    def small_vendor_email(index: int) -> str:
        return f"small-vendor-{index:03d}@{EMAIL_DOMAIN}"

    user_fields = [
        "id",
        "created_at",
        "updated_at",
        "password",
        "email",
        "full_name",
        "is_organizer",
        "plan",
        "is_staff",
        "is_active",
        "is_superuser",
        "date_joined",
    ]

    def users():
        for index, user_id in enumerate(organizer_ids):
            email = (
                organizer_email(index)
                if index < counts.markets
                else f"small-organizer@{EMAIL_DOMAIN}"
            )
            yield (user_id, now, now, password_hash, email, f"Organizer {index}", True, "paid",
                   True, True, False, now)  # fmt: skip
        for user_id, email in (
            (vendor_user_id, vendor_email(subject_vendor_index)),
            (small_vendor_user_id, small_vendor_email(0)),
        ):
            yield (user_id, now, now, password_hash, email, "Bench vendor", False, "free",
                   False, True, False, now)  # fmt: skip

    step("users", lambda: copier.copy(User, user_fields, users()))

    # --- markets
    market_ids = [uuid7() for _ in range(counts.markets + 1)]

    def slug(index: int) -> str:
        return f"market-{index:05d}" if index < counts.markets else "small-market"

    def markets():
        for index, market_id in enumerate(market_ids):
            documents = NO_DOCUMENTS if index == subject + 1 else REQUIRED_DOCUMENTS
            yield (market_id, now, now, organizer_ids[index], f"Market {index:05d}", slug(index),
                   "A market of the benchmark data set.", f"Square {index}",
                   TIMEZONES[index % len(TIMEZONES)], "EUR" if index % 2 else "USD",
                   True, documents, documents)  # fmt: skip

    market_fields = ["id", "created_at", "updated_at", "organizer_id", "name", "slug"]
    market_fields += ["description", "location", "timezone", "currency", "is_active"]
    market_fields += ["required_document_types", "expiring_document_types"]
    step("markets", lambda: copier.copy(Market, market_fields, markets()))

    # --- vendors: the large set, then the small market's own
    vendor_ids = [uuid7() for _ in range(counts.vendors)]
    small_vendor_ids = [uuid7() for _ in range(len(small_statuses))]

    def vendors():
        for index, vendor_id in enumerate(vendor_ids):
            user_id = vendor_user_id if index == subject_vendor_index else None
            yield (vendor_id, now, now, f"Vendor {index:06d} Farm", f"Contact {index}",
                   vendor_email(index), "+1 555 0100", _categories(index), "", user_id,
                   *_listing(index))  # fmt: skip
        for index, vendor_id in enumerate(small_vendor_ids):
            user_id = small_vendor_user_id if index == 0 else None
            yield (vendor_id, now, now, f"Small Vendor {index:03d}", f"Contact {index}",
                   small_vendor_email(index), "", _categories(index), "", user_id,
                   *_listing(index))  # fmt: skip

    vendor_fields = ["id", "created_at", "updated_at", "business_name", "contact_name", "email"]
    vendor_fields += ["phone", "product_categories", "description", "user_id"]
    vendor_fields += ["directory_listed", "public_description"]
    step("vendors", lambda: copier.copy(Vendor, vendor_fields, vendors()))

    # --- applications; remember each market's accepted vendors for the bookings
    accepted: list[list] = []

    def application_rows(market_index, window, layout_statuses):
        market_id = market_ids[market_index]
        reviewer = organizer_ids[market_index]
        accepted_here = []
        for position, status in enumerate(layout_statuses):
            vendor_index, vendor_id = window[position]
            reviewed = status in ("accepted", "rejected", "waitlisted")
            if status == "accepted":
                accepted_here.append(vendor_id)
            yield (uuid7(), now, now, market_id, vendor_id, status, "Hello from the bench.",
                   "Not this season." if status == "rejected" else "",
                   reviewer if reviewed else None, now if reviewed else None,
                   now if status == "withdrawn" else None, f"Vendor {vendor_index:06d} Farm",
                   f"Contact {vendor_index}", "", _categories(vendor_index), "")  # fmt: skip
        accepted.append(accepted_here)

    def applications():
        for market_index in range(counts.markets):
            start = market_index * stride
            window = [
                ((start + j) % counts.vendors, vendor_ids[(start + j) % counts.vendors])
                for j in range(APPLICATIONS_PER_MARKET)
            ]
            yield from application_rows(market_index, window, statuses)
        window = list(enumerate(small_vendor_ids))
        yield from application_rows(counts.markets, window, small_statuses)

    application_fields = ["id", "created_at", "updated_at", "market_id", "vendor_id", "status"]
    application_fields += ["message", "decision_reason", "reviewed_by_id", "reviewed_at"]
    application_fields += ["withdrawn_at", "business_name", "contact_name", "phone"]
    application_fields += ["product_categories", "description"]
    step("applications", lambda: copier.copy(Application, application_fields, applications()))

    # --- stalls
    stall_ids = [[uuid7() for _ in range(STALLS_PER_MARKET)] for _ in range(counts.markets + 1)]

    def stalls():
        for market_index, ids in enumerate(stall_ids):
            for position, stall_id in enumerate(ids):
                assigned = accepted[market_index][position] if position < 10 else None
                yield (stall_id, now, now, market_ids[market_index], f"A{position + 1:03d}",
                       SIZES[position % 3], 2000 + 500 * (position % 4), "", assigned)  # fmt: skip

    stall_fields = ["id", "created_at", "updated_at", "market_id", "label", "size_category"]
    stall_fields += ["price_per_day", "notes", "assigned_vendor_id"]
    step("stalls", lambda: copier.copy(Stall, stall_fields, stalls()))

    # --- market days: weekly, half past and half to come (a week away at the nearest, so
    # "to come" holds in every market's time zone).
    day_ids: list[list[tuple]] = []

    def days_for(past: int, to_come: int) -> list[date]:
        return [today - timedelta(weeks=past - i) for i in range(past)] + [
            today + timedelta(weeks=i + 1) for i in range(to_come)
        ]

    def market_days():
        half = DAYS_PER_MARKET // 2
        for market_index in range(counts.markets + 1):
            if market_index < counts.markets:
                dates = days_for(half, DAYS_PER_MARKET - half)
            else:
                dates = days_for(SMALL_DAYS_PAST, SMALL_DAYS_TO_COME)
            ids = [(uuid7(), day) for day in dates]
            day_ids.append(ids)
            for day_id, day in ids:
                yield (day_id, now, now, market_ids[market_index], day, clock(8), clock(13),
                       "scheduled", "")  # fmt: skip

    day_fields = ["id", "created_at", "updated_at", "market_id", "date", "start_time"]
    day_fields += ["end_time", "status", "note"]
    step("market_days", lambda: copier.copy(MarketDay, day_fields, market_days()))

    # --- bookings: 1,000,000 at scale 1 over 60,000 days: 16 or 17 per day. Stall 0 always
    # goes to the market's first accepted vendor; stall s to accepted[1 + (s - 1 + d) % n].
    total_days = counts.markets * DAYS_PER_MARKET
    base, extra = divmod(counts.bookings, total_days)
    assert base + 1 <= STALLS_PER_MARKET and base + 1 <= accepted_per_market

    def booking_rows(market_index, day_index, day_id, day, per_day, accepted_here):
        stalls_here = stall_ids[market_index]
        past = day < today
        others = len(accepted_here) - 1
        reviewer = organizer_ids[market_index]
        for position in range(per_day):
            vendor_id = (
                accepted_here[0]
                if position == 0
                else accepted_here[1 + (position - 1 + day_index) % others]
            )
            fee = 2000 + 500 * (position % 4)
            paid = past and position % 5 != 4
            yield (uuid7(), now, now, day_id, stalls_here[position], vendor_id, fee,
                   "paid" if paid else "unpaid", now if paid else None, reviewer)  # fmt: skip

    def bookings():
        global_day = 0
        for market_index in range(counts.markets):
            for day_index, (day_id, day) in enumerate(day_ids[market_index]):
                per_day = base + (1 if global_day < extra else 0)
                global_day += 1
                yield from booking_rows(
                    market_index, day_index, day_id, day, per_day, accepted[market_index]
                )
        for day_index, (day_id, day) in enumerate(day_ids[counts.markets]):
            yield from booking_rows(
                counts.markets, day_index, day_id, day, SMALL_BOOKINGS_PER_DAY,
                accepted[counts.markets],
            )  # fmt: skip

    booking_fields = ["id", "created_at", "updated_at", "market_day_id", "stall_id", "vendor_id"]
    booking_fields += ["fee_cents", "payment_status", "paid_at", "booked_by_id"]
    step("bookings", lambda: copier.copy(Booking, booking_fields, bookings()))
    assert small_accepted > SMALL_BOOKINGS_PER_DAY - 1

    # --- sales reports: about four in five bookings of past days reported, generated in SQL
    # from each booking's id (INSERT ... SELECT, no rows through Python), so the totals vary
    # by day, currency and category and some day-category groups have fewer than 3 vendors.
    def sales_reports() -> int:
        report_fields = ["market_id", "market_day_id", "vendor_id", "booking_id"]
        report_fields += [f"{code}_cents" for code in SALES_AMOUNTS]
        amounts = ", ".join(SALES_AMOUNTS.values())
        gross = " + ".join(f"({sql})" for sql in SALES_AMOUNTS.values())
        return conn.execute(
            f"""INSERT INTO sales_salesreport (id, created_at, updated_at, late,
                {", ".join(report_fields)}, gross_cents)
            SELECT {UUID7_SQL}, %(now)s, %(now)s, false,
                d.market_id, b.market_day_id, b.vendor_id, b.id, {amounts}, {gross}
            FROM (SELECT *, abs(hashtext(id::text)::bigint) AS h FROM stalls_booking) b
            JOIN marketflow_marketday d ON d.id = b.market_day_id
            WHERE d.date < %(today)s AND mod(b.h, 5) <> 0
            ORDER BY d.market_id, d.date""",
            {"now": now, "today": today},
        ).rowcount

    step("sales_reports", sales_reports)

    # --- documents: every market requires an insurance certificate that expires. Each vendor
    # has one, expiring 0 to 89 days from today; each market approved those of its accepted
    # vendors but one in ten, so the readiness list has vendors not ready (expired by the
    # next market day, or not reviewed) and documents expiring within 30 days.
    document_of = {}

    def documents():
        for index, vendor_id in enumerate([*vendor_ids, *small_vendor_ids]):
            document_of[vendor_id] = document_id = uuid7()
            yield (document_id, now, now, vendor_id, "insurance",
                   f"vendor-documents/bench-{index:06d}.pdf", "insurance.pdf", 1234,
                   "application/pdf", today + timedelta(days=index % 90))  # fmt: skip

    document_fields = ["id", "created_at", "updated_at", "vendor_id", "document_type", "file"]
    document_fields += ["original_filename", "size", "content_type", "expires_on"]
    step("documents", lambda: copier.copy(VendorDocument, document_fields, documents()))

    def submitted() -> int:  # each accepted application lists its vendor's document
        through = Application.documents.through._meta.db_table
        return conn.execute(
            f"INSERT INTO {through} (application_id, vendordocument_id) "
            "SELECT a.id, d.id FROM applications_application a "
            "JOIN vendors_vendordocument d ON d.vendor_id = a.vendor_id "
            "WHERE a.status = 'accepted'"
        ).rowcount

    step("submitted", submitted)

    def reviews():
        for market_index, accepted_here in enumerate(accepted):
            for position, vendor_id in enumerate(accepted_here):
                if position % 10 != 9:
                    yield (uuid7(), now, now, market_ids[market_index], document_of[vendor_id],
                           "approved", "", organizer_ids[market_index])  # fmt: skip

    review_fields = ["id", "created_at", "updated_at", "market_id", "document_id", "status"]
    review_fields += ["reason", "reviewed_by_id"]
    step("reviews", lambda: copier.copy(DocumentReview, review_fields, reviews()))

    # --- API tokens of the four bench users, as services.user_token_create makes them, valid
    # for years (the database is kept) and tied to this DJANGO_SECRET_KEY (bench/settings.py).
    tokens = {user_id: secrets.token_hex(32) for user_id in (
        organizer_ids[subject], organizer_ids[counts.markets], vendor_user_id, small_vendor_user_id
    )}  # fmt: skip
    password_check = User(password=password_hash).get_session_auth_hash()
    token_fields = ["id", "digest", "token_key", "user_id", "created", "expiry", "password_check"]
    token_rows = (
        (uuid7(), hash_token(key), key[: KNOX_CONSTANTS.TOKEN_KEY_LENGTH], user_id, now,
         now + timedelta(days=3650), password_check)
        for user_id, key in tokens.items()
    )  # fmt: skip
    step("tokens", lambda: copier.copy(ApiToken, token_fields, token_rows))

    began = time.perf_counter()
    verify(conn)
    steps["verify"] = round(time.perf_counter() - began, 2)
    log(f"  {'verify':<13} {'':>9}       {steps['verify']:6.1f} s")
    began = time.perf_counter()
    conn.execute("ANALYZE")
    steps["analyze"] = round(time.perf_counter() - began, 2)
    log(f"  {'analyze':<13} {'':>9}       {steps['analyze']:6.1f} s")

    return SeedInfo(
        scale=scale,
        counts=asdict(counts),
        seconds=round(time.perf_counter() - started, 1),
        seeded_at=now.isoformat(),
        market_id=str(market_ids[subject]),
        market_slug=slug(subject),
        organizer_email=organizer_email(subject),
        organizer_token=tokens[organizer_ids[subject]],
        vendor_id=str(vendor_ids[subject_vendor_index]),
        vendor_email=vendor_email(subject_vendor_index),
        vendor_token=tokens[vendor_user_id],
        small_market_id=str(market_ids[counts.markets]),
        small_market_slug=slug(counts.markets),
        small_organizer_email=f"small-organizer@{EMAIL_DOMAIN}",
        small_organizer_token=tokens[organizer_ids[counts.markets]],
        small_vendor_id=str(small_vendor_ids[0]),
        small_vendor_email=small_vendor_email(0),
        small_vendor_token=tokens[small_vendor_user_id],
        steps=steps,
        version=SEED_VERSION,
    )


# Rules the schema cannot state, checked over the whole data set: each query must return 0.
VERIFY_QUERIES = {
    "booking of a vendor not accepted at the market": """
        SELECT count(*) FROM stalls_booking b
        JOIN marketflow_marketday d ON d.id = b.market_day_id
        WHERE NOT EXISTS (
            SELECT 1 FROM applications_application a
            WHERE a.market_id = d.market_id AND a.vendor_id = b.vendor_id
              AND a.status = 'accepted')
    """,
    "booking whose stall and day belong to different markets": """
        SELECT count(*) FROM stalls_booking b
        JOIN marketflow_marketday d ON d.id = b.market_day_id
        JOIN stalls_stall s ON s.id = b.stall_id
        WHERE s.market_id <> d.market_id
    """,
    "application status outside the workflow": """
        SELECT count(*) FROM applications_application
        WHERE status NOT IN ('pending', 'accepted', 'rejected', 'waitlisted', 'withdrawn')
    """,
}


def verify(conn: psycopg.Connection) -> None:
    for rule, sql in VERIFY_QUERIES.items():
        (violations,) = conn.execute(sql).fetchone()
        if violations:
            raise AssertionError(f"Seed broke a rule: {rule} ({violations} rows)")


def save_info(conn: psycopg.Connection, info: SeedInfo) -> None:
    with conn.transaction():
        conn.execute("CREATE TABLE IF NOT EXISTS bench_seed (id int PRIMARY KEY, info jsonb)")
        conn.execute(
            "INSERT INTO bench_seed (id, info) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET info = EXCLUDED.info",
            (orjson.dumps(asdict(info)).decode(),),
        )


def load_info(conn: psycopg.Connection) -> SeedInfo | None:
    exists = conn.execute("SELECT to_regclass('bench_seed') IS NOT NULL").fetchone()[0]
    if not exists:
        return None
    row = conn.execute("SELECT info FROM bench_seed WHERE id = 1").fetchone()
    return SeedInfo(**row[0]) if row else None
