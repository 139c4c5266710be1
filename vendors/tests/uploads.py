"""Small files for upload tests: each type is recognised by its first bytes."""

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (  # signature, IHDR chunk, IEND chunk: whole, as the validator wants it
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"  # ends with EOI
WEBP = b"RIFF\x28\x00\x00\x00WEBPVP8 " + b"\x00" * 32  # RIFF size = file size - 8


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf(name: str = "insurance.pdf") -> SimpleUploadedFile:
    return upload(name, PDF, "application/pdf")


def png(name: str = "stand.png") -> SimpleUploadedFile:
    return upload(name, PNG, "image/png")


def disguised(name: str = "insurance.pdf") -> SimpleUploadedFile:
    """A script that claims, by its name and declared type, to be a PDF."""
    return upload(name, b"#!/bin/sh\necho owned\n", "application/pdf")
