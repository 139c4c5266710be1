from django.apps import AppConfig


class StallsConfig(AppConfig):
    name = "stalls"
    default_auto_field = "django.db.models.BigAutoField"
