from django.apps import AppConfig


class MarketflowConfig(AppConfig):
    name = "marketflow"
    verbose_name = "Marketflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from marketflow import (
            checks,  # noqa: F401  (registers the deployment checks)
            email_tracking,  # noqa: F401  (bounces from the provider's webhook)
            selectors,  # noqa: F401  (forgets cached public markets)
        )
