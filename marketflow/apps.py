from django.apps import AppConfig


class MarketflowConfig(AppConfig):
    name = "marketflow"
    verbose_name = "Marketflow"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.backends.signals import connection_created

        from marketflow.database import register_loaders

        connection_created.connect(register_loaders, dispatch_uid="marketflow.register_loaders")
        from marketflow import (
            checks,  # noqa: F401  (registers the deployment checks)
            email_tracking,  # noqa: F401  (bounces from the provider's webhook)
            selectors,  # noqa: F401  (forgets cached public markets)
        )
