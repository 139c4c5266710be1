"""The public face of a market: its page with the vendors it lists, the full directory (a
page per vendor), the vendors' photos, and what search engines and link previews read
(schema.org JSON-LD, Open Graph)."""

import datetime
import zoneinfo

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from applications import selectors
from marketflow.models import DocumentType, ProductCategory
from marketflow.pages import page
from marketflow.selectors import public_market
from vendors.models import PHOTO_KEY_PREFIX

MARKET_PAGE_VENDORS = 12  # the market page shows these many; the directory has them all
DIRECTORY_PAGE_SIZE = 24


def _category(request) -> str:
    """The ``category`` filter of a page: a known code, else none (a page never fails on it)."""
    category = request.GET.get("category", "")
    return category if category in ProductCategory.values else ""


def _category_links(market: dict, category: str) -> list[dict]:
    """The filter as links (no JavaScript): every category the market accepts."""
    return [
        {"code": code, "label": ProductCategory(code).label, "current": code == category}
        for code in market["accepted_categories"]
    ]


def _day_event(request, market: dict, day: dict) -> dict:
    tz = zoneinfo.ZoneInfo(market["timezone"])
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": market["name"],
        "description": market["description"] or None,
        "startDate": datetime.datetime.combine(day["date"], day["start_time"], tz).isoformat(),
        "endDate": datetime.datetime.combine(day["date"], day["end_time"], tz).isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": market["name"], "address": market["location"]},
        "url": request.build_absolute_uri(reverse("market-page", args=[market["slug"]])),
    }


def _vendor_business(request, market: dict, vendor) -> dict:
    url = reverse("directory-vendor", kwargs={"slug": market["slug"], "vendor_id": vendor.pk})
    return {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": vendor.business_name,
        "description": vendor.public_description or None,
        "image": request.build_absolute_uri(vendor.photo_path) if vendor.photo else None,
        "url": request.build_absolute_uri(url),
        "knowsAbout": vendor.category_list,
    }


def _open_graph(request, *, title: str, description: str, image: str | None = None) -> dict:
    return {
        "title": title,
        "description": description[:300],
        "url": request.build_absolute_uri(request.path),
        "image": request.build_absolute_uri(image) if image else None,
    }


@require_safe
@page
def market_page(request, slug: str):
    found = public_market(slug=slug)
    market = found["market"]
    category = _category(request)

    def vendors_section() -> str:
        vendors = list(
            selectors.directory_vendor_list(market_id=market["id"], category=category)[
                : MARKET_PAGE_VENDORS + 1
            ]
        )
        context = {
            "market": market,
            "vendors": vendors[:MARKET_PAGE_VENDORS],
            "more_vendors": len(vendors) > MARKET_PAGE_VENDORS,
            "category": category,
            "category_links": _category_links(market, category),
        }
        return render_to_string("pages/_market_vendors.html", context)

    # The section as HTML, cached under the directory's version: the cards were half of the
    # page's time, and they change only when the directory does.
    section = selectors.public_directory_cached(
        market_id=market["id"], shape=f"market-page-html:{category}", compute=vendors_section
    )
    days = found["market_days"][:12]
    return render(
        request,
        "pages/market.html",
        {
            "market": market,
            "market_days": days,
            "categories": [ProductCategory(c).label for c in market["accepted_categories"]],
            "required_documents": [
                DocumentType(kind).label for kind in market["required_document_types"]
            ],
            "vendors_section": section,
            "structured_data": [_day_event(request, market, day) for day in days],
            "open_graph": _open_graph(
                request, title=market["name"], description=market["description"]
            ),
        },
    )


@require_safe
@page
def directory(request, slug: str):
    """Every vendor the market lists, a page at a time, filterable by category."""
    market = public_market(slug=slug)["market"]
    category = _category(request)
    # A market lists tens of vendors, not thousands: the whole list is cached, and paged here.
    vendors = selectors.public_directory_cached(
        market_id=market["id"],
        shape=f"directory:{category}",
        compute=lambda: list(
            selectors.directory_vendor_list(market_id=market["id"], category=category)
        ),
    )
    vendor_page = Paginator(vendors, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pages/directory.html",
        {
            "market": market,
            "vendor_page": vendor_page,
            "category": category,
            "category_links": _category_links(market, category),
            "open_graph": _open_graph(
                request,
                title=f"Vendors at {market['name']}",
                description=f"The vendors who sell at {market['name']}.",
            ),
        },
    )


@require_safe
@page
def directory_vendor(request, slug: str, vendor_id):
    market = public_market(slug=slug)["market"]
    vendor = selectors.directory_vendor_get(market_id=market["id"], vendor_id=vendor_id)
    return render(
        request,
        "pages/directory_vendor.html",
        {
            "market": market,
            "vendor": vendor,
            "structured_data": [_vendor_business(request, market, vendor)],
            "open_graph": _open_graph(
                request,
                title=f"{vendor.business_name} at {market['name']}",
                description=vendor.public_description,
                image=vendor.photo_path,
            ),
        },
    )


@require_safe
@cache_control(public=True, max_age=3600)  # a new photo gets a new name
@page
def directory_photo(request, name: str):
    """A listed vendor's photo (re-encoded when uploaded), from the storage API."""
    vendor = selectors.directory_photo_get(name=PHOTO_KEY_PREFIX + name)
    return FileResponse(default_storage.open(vendor.photo.name, "rb"), content_type="image/jpeg")
