"""A vendor's public photo: every bad input is refused with its code, every good one comes
out as a new JPEG, bounded and without metadata."""

import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from vendors.photos import PHOTO_MAX_BYTES, photo_reencode


def encoded(size=(40, 30), fmt="PNG", mode="RGB", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def refusal(content: bytes) -> str:
    with pytest.raises(ValidationError) as excinfo:
        photo_reencode(SimpleUploadedFile("photo.jpg", content))
    return excinfo.value.code


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "photo_too_large"),  # empty: no file to speak of
        (b"\x00" * (PHOTO_MAX_BYTES + 1), "photo_too_large"),
        (b"%PDF-1.4\n%%EOF\n", "photo_not_an_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "photo_not_an_image"),
        (encoded(fmt="GIF"), "photo_not_an_image"),  # a decodable image, not a format we take
        (encoded(fmt="BMP"), "photo_not_an_image"),
        (encoded(size=(10_000, 5_000), mode="1"), "photo_too_many_pixels"),  # a tiny bomb
        (encoded(size=(20_000, 10_000), mode="1"), "photo_too_many_pixels"),  # past Pillow's
        (encoded(size=(400, 400), fmt="JPEG")[:-200], "photo_damaged"),  # cut short
        (encoded(size=(400, 400), fmt="PNG")[:300], "photo_damaged"),
    ],
    ids=[
        "empty",
        "too-big",
        "pdf",
        "svg",
        "gif",
        "bmp",
        "bomb",
        "huge-bomb",
        "truncated-jpeg",
        "truncated-png",
    ],  # fmt: skip
)
def test_bad_photos_are_refused_with_their_code(content, code):
    assert refusal(content) == code


@pytest.mark.parametrize("seed", range(20))
def test_fuzzed_bytes_never_crash(seed):
    """Random bytes behind a real image's first bytes, or a real image with bytes flipped:
    either a photo comes out or a refusal with one of the codes, never another error."""
    rng = random.Random(seed)
    valid = bytearray(encoded(size=(64, 64), fmt=rng.choice(["PNG", "JPEG", "WEBP"])))
    if seed % 2:
        for _ in range(rng.randint(1, 20)):
            valid[rng.randrange(len(valid))] = rng.randrange(256)
        content = bytes(valid)
    else:
        content = bytes(valid[:16]) + rng.randbytes(rng.randint(0, 4096))
    try:
        result = photo_reencode(SimpleUploadedFile("photo", content))
    except ValidationError as error:
        assert error.code in {"photo_not_an_image", "photo_damaged", "photo_too_many_pixels"}
    else:
        assert Image.open(io.BytesIO(result.read())).format == "JPEG"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_good_photos_come_out_as_bounded_jpegs(fmt):
    result = photo_reencode(SimpleUploadedFile("p", encoded(size=(2400, 1800), fmt=fmt)))
    image = Image.open(io.BytesIO(result.read()))
    assert image.format == "JPEG" and image.size == (1200, 900) and image.mode == "RGB"


def test_a_transparent_photo_is_put_on_white():
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buffer, format="PNG")
    result = photo_reencode(SimpleUploadedFile("p.png", buffer.getvalue()))
    assert Image.open(io.BytesIO(result.read())).getpixel((5, 5)) == (255, 255, 255)
