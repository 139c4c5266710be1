import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketflow.settings")

application = get_wsgi_application()
settings.SECRET_KEY  # noqa: B018 (an unset DJANGO_SECRET_KEY stops the server here, at start)
