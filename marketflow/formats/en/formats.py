"""One way to write a date and a time in English, on every page, in the admin and in e-mails:
"Sat 5 Dec 2026", "08:00" (settings.FORMAT_MODULE_PATH). Templates use the ``date`` and
``time`` filters without an argument, Python code ``django.utils.formats.date_format``."""

DATE_FORMAT = "D j M Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "D j M Y, H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
