"""Two organizers of one market (or one organizer's two tabs) reviewing the same document at
once: one review per (market, document) remains, the last one written, and every request
answers 200. Real PostgreSQL, real transactions, threads, the HTTP stack, as in
tests/test_concurrency.py.

The guard is the upsert on the unique constraint (``document_review_save``). The NEGATIVE
CONTROL replaces it with a plain insert, as a naive service would write it: the requests that
lose the race then fail with the constraint's IntegrityError (a 500), which the main test's
assertions catch.
"""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from applications.tests.factories import AcceptedApplicationFactory
from conftest import token_client
from tests.test_concurrency import outcomes, run_together
from vendors.models import DocumentReview
from vendors.tests.factories import VendorDocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 10


def review_requests(organizer, market) -> list:
    application = AcceptedApplicationFactory(market=market)
    document = VendorDocumentFactory(vendor=application.vendor)
    application.documents.add(document)
    url = reverse(
        "api:document-review", kwargs={"market_id": market.pk, "document_id": document.pk}
    )
    bodies = [
        {"status": "approved"} if n % 2 else {"status": "refused", "reason": f"Refusal {n}."}
        for n in range(THREADS)
    ]
    clients = [token_client(organizer) for _ in bodies]
    return [
        (lambda client=client, body=body: client.post(url, body, format="json"))
        for client, body in zip(clients, bodies, strict=True)
    ]


def test_reviews_of_one_document_at_once_leave_one_review(organizer, market):
    responses = run_together(review_requests(organizer, market))

    assert outcomes(responses) == {(200, None): THREADS}
    (review,) = DocumentReview.objects.all()
    assert {response.json()["id"] for response in responses} == {str(review.pk)}


def test_control_a_plain_insert_fails_the_losers(organizer, market, monkeypatch):
    """NEGATIVE CONTROL: without the upsert, the requests after the first fail on the unique
    constraint with an IntegrityError (a 500), which the test above catches."""
    plain_insert = DocumentReview.objects.bulk_create
    monkeypatch.setattr(
        DocumentReview.objects, "bulk_create", lambda objs, **kwargs: plain_insert(objs)
    )

    with pytest.raises(IntegrityError):
        run_together(review_requests(organizer, market))
    assert DocumentReview.objects.count() == 1
