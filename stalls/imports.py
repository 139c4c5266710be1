"""Reading an organizer's vendor list, a CSV or XLSX file, into rows for
``stalls.services.vendor_list_import``. Reads only; a file that cannot be read is a
ValidationFailedError under ``file``, said on the import page's form.

Columns are found by their header, in any order, case and spacing aside: business name,
contact (name), e-mail, phone, categories, stall. Categories are their names or codes,
separated by commas or semicolons ("Produce, Baked goods").
"""

import csv
import io
import re
import zipfile

from openpyxl import load_workbook

from applications.services import ImportedVendor
from marketflow.errors import ValidationFailedError
from marketflow.models import ProductCategory

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000

HEADERS = {
    "business_name": {"business name", "business", "name", "business_name"},
    "contact_name": {"contact", "contact name", "contact_name", "contact person"},
    "email": {"e-mail", "email", "e-mail address", "email address"},
    "phone": {"phone", "phone number", "telephone"},
    "categories": {"categories", "category", "product categories", "product_categories"},
    "stall": {"stall", "stall label", "regular stall"},
}
REQUIRED = ("business_name", "contact_name", "email", "categories")
CATEGORY_NAMES = {
    **{str(label).casefold(): value for value, label in ProductCategory.choices},
    **{value: value for value in ProductCategory.values},
}


def _refuse(message: str):
    raise ValidationFailedError(message, fields={"file": [message]})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number a spreadsheet took for a number
    return str(value).strip()


def _table(upload) -> list[list[str]]:
    name = (upload.name or "").lower()
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        _refuse(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            _refuse("This is not an Excel workbook (.xlsx) that can be read.")
        sheet = workbook.worksheets[0]
        rows = [
            [_cell(value) for value in row]
            for row in sheet.iter_rows(max_row=MAX_ROWS + 2, values_only=True)
        ]
        workbook.close()
        return rows
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            _refuse("The CSV file is not UTF-8 text: save it as “CSV UTF-8”.")
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text), dialect)
        return [[_cell(value) for value in row] for row in reader][: MAX_ROWS + 2]
    _refuse("Upload a .csv or .xlsx file.")


def _categories(text: str) -> tuple[str, ...]:
    names = [part.strip() for part in re.split(r"[,;/]", text) if part.strip()]
    return tuple(CATEGORY_NAMES.get(name.casefold().replace("-", " "), name) for name in names)


def read_vendor_list(upload) -> list[ImportedVendor]:
    """The vendor rows of an uploaded file (blank rows skipped), each with its row number."""
    table = _table(upload)
    if not table:
        _refuse("The file is empty.")
    header = [value.casefold().replace("_", " ").strip() for value in table[0]]
    columns = {}
    for field, names in HEADERS.items():
        names = {name.replace("_", " ") for name in names}
        for index, title in enumerate(header):
            if title in names and field not in columns:
                columns[field] = index
    missing = [field.replace("_", " ") for field in REQUIRED if field not in columns]
    if missing:
        _refuse(
            f"The first row must name the columns; missing: {', '.join(missing)}. "
            "Expected: business name, contact, e-mail, phone, categories, stall."
        )
    if len(table) - 1 > MAX_ROWS:
        _refuse(f"The file has more than {MAX_ROWS} rows: import it in parts.")

    def value(row, field):
        index = columns.get(field)
        return row[index] if index is not None and index < len(row) else ""

    vendors = []
    for number, row in enumerate(table[1:], start=2):
        if not any(row):
            continue
        vendors.append(
            ImportedVendor(
                line=number,
                business_name=value(row, "business_name"),
                contact_name=value(row, "contact_name"),
                email=value(row, "email"),
                phone=value(row, "phone"),
                product_categories=_categories(value(row, "categories")),
                stall=value(row, "stall"),
            )
        )
    if not vendors:
        _refuse("The file has no vendor rows under its header.")
    return vendors
