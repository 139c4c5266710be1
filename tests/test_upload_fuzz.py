"""Upload fuzzing: hostile files sent to both faces that take documents, the public apply form
(``/m/<slug>/apply/``, field ``insurance``) and the vendor portal (``/vendor/documents/new/``,
field ``file``), as raw multipart bodies, so the names reach the server exactly as written.

Wrong content behind a valid extension, a valid header on a truncated file, zero bytes,
10 MB plus one byte, and names that are too long or that Django's parser reduces to nothing:
each is refused with an error on the file's field, and nothing is stored (no document or
application row, no file under a throwaway MEDIA_ROOT). A name of 20,000 characters does not
get that far: Django refuses the whole request (400) for its oversized part header.

Names with path separators or control characters are a different story over HTTP: Django's
multipart parser strips path components and non-printable characters before any form sees
the name, so such a name arrives as a plain one. For those the test proves the name cannot
do harm: the file lands under a generated name inside MEDIA_ROOT, the recorded name is a bare
printable basename, and nothing is written elsewhere. The validator itself, which every
service caller goes through, refuses such names with a field error (the last tests).
"""

from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile

from applications.models import Application
from marketflow.errors import ValidationFailedError
from vendors.models import VendorDocument
from vendors.services import vendor_document_upload
from vendors.tests.uploads import JPEG, PDF, PNG, WEBP

pytestmark = pytest.mark.django_db

TEN_MB = 10 * 1024 * 1024
BOUNDARY = "marketflow-upload-fuzz"

# (case id, file name, content): each refused with a field error, nothing stored.
REFUSED = [
    # Wrong content behind a valid extension.
    ("script as pdf", "insurance.pdf", b"#!/bin/sh\nrm -rf /\n"),
    ("html as png", "stand.png", b"<html><script>alert(1)</script></html>"),
    ("svg as png", "stand.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("zip as jpeg", "photo.jpg", b"PK\x03\x04" + b"\x00" * 64),
    ("elf as pdf", "permit.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
    ("gif as webp", "photo.webp", b"GIF89a" + b"\x00" * 64),
    ("wav as webp", "photo.webp", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28),
    # A valid header on a truncated file.
    ("truncated pdf", "insurance.pdf", PDF[:40]),
    ("truncated png", "stand.png", PNG[:24]),
    ("truncated jpeg", "photo.jpg", JPEG[:20]),
    ("truncated webp", "photo.webp", WEBP[:30]),
    # Zero bytes, and one byte over the limit.
    ("zero bytes", "insurance.pdf", b""),
    ("10 MB plus one byte", "insurance.pdf", PDF + b"0" * (TEN_MB + 1 - len(PDF))),
    # Names: too long, or nothing left once Django strips paths and control characters.
    ("name of 300 characters", "b" * 296 + ".pdf", PDF),
    ("name that is only a path", "../", PDF),
    ("name that is only dots", "..", PDF),
    ("name of control characters only", "\x00\x01\x1b\r\n", PDF),
]

# (case id, file name sent, the bare name Django hands on): stored safely, see the docstring.
SANITIZED = [
    ("parent directories", "../../../etc/cron.d/evil.pdf", "evil.pdf"),
    ("absolute path", "/var/www/marketflow/evil.pdf", "evil.pdf"),
    ("windows path", "..\\..\\Windows\\System32\\evil.pdf", "evil.pdf"),
    ("nul and newline", "evil\x00\r\n.pdf", "evil.pdf"),
    ("terminal escape", "\x1b[31mevil\x07.pdf", "[31mevil.pdf"),
    ("encoded slash", "..&#47;..&#47;evil.pdf", "evil.pdf"),
]


def multipart(fields: dict, file_field: str, file_name: str, content: bytes) -> bytes:
    """A multipart body with the file name as RFC 2231 ``filename*`` (every character, CR and
    LF included, reaches the server) and, for plain names, the usual ``filename`` too."""
    parts = []
    for name, values in fields.items():
        for value in values if isinstance(values, list) else [values]:
            parts.append(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
    disposition = f"form-data; name=\"{file_field}\"; filename*=UTF-8''{quote(file_name)}"
    parts.append(
        f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    """A throwaway MEDIA_ROOT inside an otherwise empty folder, to see where files land."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


@pytest.fixture
def market(market):
    market.required_document_types = ["insurance"]
    market.save(update_fields=["required_document_types", "updated_at"])
    return market


def post_apply(client, market, file_name: str, content: bytes):
    fields = {
        "business_name": "Hillside Honey",
        "contact_name": "Ana Weber",
        "email": "ana@hillside.example",
        "product_categories": ["produce"],
    }
    body = multipart(fields, "insurance", file_name, content)
    return client.post(
        f"/m/{market.slug}/apply/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def post_portal(client, file_name: str, content: bytes):
    body = multipart({"document_type": "insurance"}, "file", file_name, content)
    return client.post(
        "/vendor/documents/new/", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


@pytest.fixture(params=["apply form", "vendor portal"])
def face(request, client, market, vendor_user):
    """Send one file through one face; answers (response, name of the file field)."""
    if request.param == "apply form":
        return lambda name, content: (post_apply(client, market, name, content), "insurance")
    client.force_login(vendor_user)
    return lambda name, content: (post_portal(client, name, content), "file")


@pytest.mark.parametrize(("name", "content"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_a_hostile_upload_is_refused_with_a_field_error_and_nothing_is_stored(
    face, media_root, tmp_path, name, content
):
    response, field = face(name, content)

    assert response.status_code == 200, response.status_code
    errors = response.context["form"].errors
    assert errors.get(field), errors
    assert not VendorDocument.objects.exists()
    assert not Application.objects.exists()
    assert files_under(tmp_path) == []


def test_a_name_of_20000_characters_is_refused_before_any_form_and_nothing_is_stored(
    face, media_root, tmp_path
):
    """Django's multipart parser refuses a part whose headers exceed its limit (1 KB) with a
    400 for the whole request: no form runs, so there is no field to put an error on."""
    response, _field = face("a" * 20_000 + ".pdf", PDF)

    assert response.status_code == 400
    assert not VendorDocument.objects.exists()
    assert not Application.objects.exists()
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "stored_as"), [c[1:] for c in SANITIZED], ids=[c[0] for c in SANITIZED]
)
def test_a_name_with_a_path_or_control_characters_cannot_place_the_file(
    face, media_root, tmp_path, name, stored_as
):
    response, _field = face(name, PDF)

    assert response.status_code == 302, response.context["form"].errors
    document = VendorDocument.objects.get()
    assert document.original_filename == stored_as
    assert document.original_filename.isprintable()
    assert "/" not in document.original_filename and "\\" not in document.original_filename
    # The file is where the generated name says, and it is the only file written.
    stored = media_root / document.file.name
    assert files_under(tmp_path) == [stored]
    assert stored.parent == media_root / "vendor-documents" and stored_as not in stored.name
    assert stored.read_bytes() == PDF


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\evil.pdf",
        "/tmp/evil.pdf",
        "evil\x00.pdf",
        "evil\r\n.pdf",
        "\x1b[31mevil.pdf",
        "a" * 20_000 + ".pdf",
    ],
    ids=["parent", "windows", "absolute", "nul", "newline", "escape", "20,000 characters"],
)
def test_the_services_refuse_unsafe_names_with_a_field_error(vendor_user, media_root, name):
    """Callers that are not Django's upload parser (admin code, imports) hand names on as
    they are: the one validator refuses them."""
    with pytest.raises(ValidationFailedError) as excinfo:
        vendor_document_upload(
            user=vendor_user, document_type="insurance", file=ContentFile(PDF, name=name)
        )

    assert list(excinfo.value.extra["fields"]) == ["file"]
    assert not VendorDocument.objects.exists()
    assert files_under(media_root) == []


@pytest.mark.parametrize(
    "content",
    [PDF, PNG, JPEG, WEBP, PDF + b"0" * (TEN_MB - len(PDF))],
    ids=["pdf", "png", "jpeg", "webp", "pdf of exactly 10 MB"],
)
def test_whole_files_of_every_type_are_still_accepted(face, media_root, content):
    """Guards the refusals above: a good file through the same faces is stored."""
    response, _field = face("good.bin", content)

    assert response.status_code == 302, response.context["form"].errors
    assert VendorDocument.objects.count() == 1
