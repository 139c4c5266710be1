"""The admin app with Marketflow's own site (dashboard on the index, organizer scoping).

Kept apart from ``admin_site`` because settings import it before the app registry is ready.
"""

from django.contrib.admin.apps import AdminConfig


class MarketflowAdminConfig(AdminConfig):
    default_site = "marketflow.admin_site.MarketflowAdminSite"
