"""A vendor's public photo: checked, then re-encoded by Pillow, so that what is served is never
the uploaded bytes (no metadata, no location in an EXIF block, no crafted file) and has one
format and bounded dimensions."""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# Decoded size: a small file can announce a huge image (a decompression bomb).
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_MAX_SIDE = 1200  # what is stored: the longest side at most this many pixels
PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
PHOTO_JPEG_QUALITY = 85


def photo_reencode(file) -> ContentFile:
    """``file`` (an upload) as a new JPEG of at most 1200 px a side, without any metadata.

    Raises ValidationError with the code ``photo_too_large`` (over 5 MB), ``photo_not_an_image``
    (not a JPEG, PNG or WebP), ``photo_too_many_pixels`` (over 40 megapixels) or
    ``photo_damaged`` (cannot be decoded to the end)."""
    if not file.size or file.size > PHOTO_MAX_BYTES:
        raise ValidationError(
            "The photo must be a file of at most %(max)d MB.",
            code="photo_too_large",
            params={"max": PHOTO_MAX_BYTES // (1024 * 1024)},
        )
    too_many_pixels = ValidationError(
        "The photo has more than %(max)d megapixels.",
        code="photo_too_many_pixels",
        params={"max": PHOTO_MAX_PIXELS // 1_000_000},
    )
    file.seek(0)
    try:
        # Only reads the header: the pixel count is checked before anything is decoded.
        image = Image.open(file, formats=PHOTO_FORMATS)
    except Image.DecompressionBombError:  # Pillow's own, far larger limit
        raise too_many_pixels from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationError(
            "Upload a photo as a JPEG, PNG or WebP file.", code="photo_not_an_image"
        ) from None
    width, height = image.size
    if width * height > PHOTO_MAX_PIXELS:
        raise too_many_pixels
    try:
        image.load()
        image = ImageOps.exif_transpose(image)  # upright as the camera meant, then no EXIF
        image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        if image.mode != "RGB":  # transparency on white, palettes and greys as colour
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        output = io.BytesIO()
        image.save(output, format="JPEG", quality=PHOTO_JPEG_QUALITY, optimize=True)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            "The photo is damaged or incomplete. Upload it again.", code="photo_damaged"
        ) from None
    return ContentFile(output.getvalue(), name="photo.jpg")
