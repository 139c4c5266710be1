"""``/sitemap.xml`` (django.contrib.sitemaps): an index of ``/sitemap-markets.xml``, every
active market's page, and ``/sitemap-directories.xml``, their vendor directories."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from marketflow.models import Market


class MarketSitemap(Sitemap):
    url_name = "market-page"
    changefreq = "weekly"
    limit = 10_000  # URLs a file (the protocol allows 50,000); the index lists every page

    def items(self):
        return Market.objects.filter(is_active=True).order_by("pk").only("slug", "updated_at")

    def location(self, market):
        return reverse(self.url_name, args=[market.slug])

    def lastmod(self, market):
        return market.updated_at


class DirectorySitemap(MarketSitemap):
    url_name = "directory"
    changefreq = "daily"

    def lastmod(self, market):
        return None


SITEMAPS = {"markets": MarketSitemap, "directories": DirectorySitemap}
