"""Importing an organizer's vendor list (CSV or XLSX) into a market: reading the file, the
preview's per-row problems, and the all-or-nothing import through the services."""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from applications.models import Application
from applications.services import ImportedVendor
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from conftest import domain_snapshot
from marketflow.errors import DomainError
from marketflow.plans import FREE_PLAN_MAX_ACTIVE_VENDORS
from stalls.imports import read_vendor_list
from stalls.models import Stall
from stalls.services import vendor_list_check, vendor_list_import
from stalls.tests.factories import StallFactory
from tests.admin_support import messages_of
from vendors.models import Vendor
from vendors.tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

COLUMNS = ["Business name", "Contact", "E-mail", "Phone", "Categories", "Stall"]
HEADER = ",".join(COLUMNS) + "\n\n"
GOOD = [
    ["Hillside Honey", "Ana Hill", "ana@hillside.example", "+49 30 111", "Produce", "A1"],
    ["Rye & Co", "Bo Rye", "Bo@Rye.example", "", "Baked goods; beverages", ""],
]


def csv_upload(rows, header=COLUMNS, name="vendors.csv") -> SimpleUploadedFile:
    lines = [",".join(f'"{cell}"' for cell in row) for row in [header, *rows]]
    return SimpleUploadedFile(name, ("\ufeff" + "\r\n".join(lines)).encode(), "text/csv")


def xlsx_upload(rows, header=COLUMNS) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in [header, *rows]:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return SimpleUploadedFile("vendors.xlsx", data.getvalue())


# -- reading the file


@pytest.mark.parametrize("upload", [csv_upload, xlsx_upload])
def test_a_csv_or_xlsx_list_is_read_by_its_header(upload):
    rows = read_vendor_list(upload(GOOD))

    assert rows == [
        ImportedVendor(
            line=2,
            business_name="Hillside Honey",
            contact_name="Ana Hill",
            email="ana@hillside.example",
            phone="+49 30 111",
            product_categories=("produce",),
            stall="A1",
        ),
        ImportedVendor(
            line=3,
            business_name="Rye & Co",
            contact_name="Bo Rye",
            email="Bo@Rye.example",
            phone="",
            product_categories=("baked_goods", "beverages"),
            stall="",
        ),
    ]


def test_columns_in_another_order_semicolons_and_blank_rows():
    text = "stall;email;business;contact name;category\n\nB2;x@y.example;X;Xi;crafts\n"
    upload = SimpleUploadedFile("list.csv", text.encode())

    (row,) = read_vendor_list(upload)

    assert (row.line, row.business_name, row.stall, row.product_categories) == (
        3,
        "X",
        "B2",
        ("crafts",),
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("list.txt", b"a,b"), "Upload a .csv or .xlsx file."),
        (SimpleUploadedFile("list.xlsx", b"not a zip"), "This is not an Excel workbook"),
        (SimpleUploadedFile("list.csv", "é".encode("latin-1")), "is not UTF-8 text"),
        (SimpleUploadedFile("list.csv", b""), "The file is empty."),
        (SimpleUploadedFile("list.csv", HEADER.encode()), "The file has no vendor rows"),
        (
            SimpleUploadedFile("list.csv", b"name,phone\nX,1\n"),
            "missing: contact name, email, categories",
        ),
    ],
)
def test_an_unreadable_file_is_refused_under_the_file_field(upload, message):
    with pytest.raises(DomainError) as excinfo:
        read_vendor_list(upload)

    assert excinfo.value.code == "invalid"
    assert message in excinfo.value.extra["fields"]["file"][0]


# -- the check and the import


def rows_of(data):
    return read_vendor_list(csv_upload(data))


def test_the_import_creates_accepted_applications_and_regular_stalls(organizer, market):
    stall = StallFactory(market=market, label="A1")
    known = VendorFactory(email="bo@rye.example", business_name="Rye Bakery")

    applications = vendor_list_import(user=organizer, market_id=market.pk, rows=rows_of(GOOD))

    assert [a.status for a in applications] == [Application.Status.ACCEPTED] * 2
    assert {a.vendor.email for a in applications} == {"ana@hillside.example", known.email}
    assert all(a.reviewed_by == organizer for a in applications)
    known.refresh_from_db()
    assert known.business_name == "Rye Bakery"  # a known vendor's profile is kept
    assert Application.objects.get(vendor=known).business_name == "Rye & Co"  # as listed
    stall.refresh_from_db()
    assert stall.assigned_vendor.email == "ana@hillside.example"
    assert (
        LogEntry.objects.filter(change_message="Accepted (imported from the vendor list).").count()
        == 2
    )
    assert mail.outbox == []


def test_the_check_names_every_rows_problems_and_writes_nothing(organizer, market):
    StallFactory(
        market=market,
        label="A1",
        assigned_vendor=AcceptedApplicationFactory(
            market=market, vendor__business_name="Old Regular"
        ).vendor,
    )
    ApplicationFactory(market=market, vendor__email="open@x.example")
    data = [
        ["", "Ana", "not-an-email", "", "Produce", ""],
        ["Open", "O", "open@x.example", "", "Produce", ""],
        ["Twice", "T", "t@x.example", "", "Produce", "Z9"],
        ["Twice again", "T", "T@x.example", "", "Fish", ""],
        ["Stall taken", "S", "s@x.example", "", "Produce", "a1"],
        ["Fine", "F", "f@x.example", "", "Produce", ""],
    ]
    before = domain_snapshot()

    check = vendor_list_check(user=organizer, market_id=market.pk, rows=rows_of(data))

    assert domain_snapshot() == before
    assert check.rows == {
        2: ["email: Enter a valid email address.", "business name: This field cannot be blank."],
        3: ["open@x.example already has an open application to this market."],
        4: ["This market has no stall Z9."],
        5: [
            "product categories: Unknown product category: “Fish”. Choose from: produce, "
            "baked_goods, crafts, prepared_food, beverages, other.",
            "The e-mail t@x.example is also on row 4.",
        ],
        6: ["Stall a1 already has a regular vendor, Old Regular."],
    }
    assert check.errors == [] and not check.ok


def test_one_bad_row_imports_nothing(refused, organizer, market):
    StallFactory(market=market, label="A1")
    data = [*GOOD, ["Bad", "B", "bad", "", "Produce", ""]]

    with refused("invalid") as excinfo:
        vendor_list_import(user=organizer, market_id=market.pk, rows=rows_of(data))
    assert excinfo.value.extra["rows"] == {"4": ["email: Enter a valid email address."]}


def test_the_free_plans_limit_applies_to_the_whole_list(refused, organizer, market):
    StallFactory(market=market, label="A1")
    for _ in range(FREE_PLAN_MAX_ACTIVE_VENDORS - 1):
        AcceptedApplicationFactory(market=market)
    rows = rows_of(GOOD)

    check = vendor_list_check(user=organizer, market_id=market.pk, rows=rows)
    with refused("plan_limit_reached"):
        vendor_list_import(user=organizer, market_id=market.pk, rows=rows)

    assert check.rows == {} and not check.ok
    assert check.errors == [
        f"The free plan includes {FREE_PLAN_MAX_ACTIVE_VENDORS} active vendors per market. "
        f"Upgrade to the paid plan to accept more: http://testserver/billing/ This market has "
        f"{FREE_PLAN_MAX_ACTIVE_VENDORS - 1}; accepting 2 more would exceed it."
    ]


def test_importing_into_another_organizers_market_is_not_found(refused, organizer, other_market):
    with refused("not_found"):
        vendor_list_import(user=organizer, market_id=other_market.pk, rows=rows_of(GOOD[1:]))


# -- the admin page


def import_url(market):
    return reverse("admin:marketflow_market_import_vendors", args=[market.pk])


def test_the_admin_page_previews_then_imports(organizer_admin, market):
    StallFactory(market=market, label="A1")
    before = domain_snapshot()

    preview = organizer_admin.post(import_url(market), {"file": xlsx_upload(GOOD)})

    assert domain_snapshot() == before
    assert preview.context["check"].ok
    content = preview.content.decode()
    assert 'id="confirm-import"' in content and "Import 2 vendors" in content
    done = organizer_admin.post(
        import_url(market), {"rows": preview.context["signed_rows"]}, follow=True
    )
    assert messages_of(done) == [f"Imported 2 vendor(s) into {market.name} as accepted vendors."]
    assert Application.objects.filter(market=market, status="accepted").count() == 2
    assert Stall.objects.get(label="A1").assigned_vendor.email == "ana@hillside.example"


def test_the_admin_preview_shows_row_problems_and_offers_no_import(organizer_admin, market):
    data = [*GOOD[1:], ["Bad", "B", "bad", "", "Produce", ""]]

    preview = organizer_admin.post(import_url(market), {"file": csv_upload(data)})

    content = preview.content.decode()
    assert "1 row has a problem" in content
    assert "email: Enter a valid email address." in content
    assert 'id="confirm-import"' not in content
    assert not Vendor.objects.exists()


def test_a_tampered_preview_is_refused(organizer_admin, market):
    response = organizer_admin.post(import_url(market), {"rows": "forged"})

    assert "The preview has expired" in response.content.decode()
    assert not Application.objects.exists()


def test_the_import_page_of_another_organizers_market_is_not_found(organizer_admin, other_market):
    assert organizer_admin.get(import_url(other_market)).status_code == 404
    response = organizer_admin.post(import_url(other_market), {"file": csv_upload(GOOD)})
    assert response.status_code == 404
