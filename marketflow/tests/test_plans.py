"""Every plan limit lives in marketflow/plans.py; these pin the numbers and who they bind."""

import pytest

from applications.models import Application
from applications.services import application_accept
from applications.tests.factories import AcceptedApplicationFactory, ApplicationFactory
from marketflow import plans
from marketflow.models import Market, User
from marketflow.services import market_create
from marketflow.tests.factories import MarketFactory, OrganizerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_free_plan_is_one_market_and_twenty_active_vendors():
    assert (plans.FREE_PLAN_MAX_MARKETS, plans.FREE_PLAN_MAX_ACTIVE_VENDORS) == (1, 20)


@pytest.mark.parametrize(
    ("user", "limit"),
    [
        (lambda: OrganizerFactory(plan=User.Plan.FREE), 20),
        (lambda: OrganizerFactory(plan=User.Plan.PAID), None),
        (lambda: UserFactory(is_staff=True, is_superuser=True), None),
    ],
    ids=["free", "paid", "superuser"],
)
def test_the_dashboard_shows_the_limit_the_services_enforce(user, limit):
    assert plans.active_vendor_limit(user()) == limit


def test_a_superuser_is_not_limited_to_one_market():
    superuser = UserFactory(is_staff=True, is_superuser=True)

    for number in range(2):
        market_create(
            organizer=superuser,
            name=f"Platform market {number}",
            slug=f"platform-{number}",
            timezone="Europe/Berlin",
            currency="EUR",
        )

    assert Market.objects.filter(organizer=superuser).count() == 2


def test_a_superusers_market_is_not_limited_to_twenty_active_vendors():
    superuser = UserFactory(is_staff=True, is_superuser=True)
    market = MarketFactory(organizer=superuser)
    AcceptedApplicationFactory.create_batch(plans.FREE_PLAN_MAX_ACTIVE_VENDORS, market=market)
    application = ApplicationFactory(market=market)

    application_accept(user=superuser, market_id=market.pk, application_id=application.pk)

    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED


def test_a_refused_acceptance_changes_nothing(refused, organizer, market):
    AcceptedApplicationFactory.create_batch(plans.FREE_PLAN_MAX_ACTIVE_VENDORS, market=market)
    application = ApplicationFactory(market=market)

    with refused("plan_limit_reached") as excinfo:
        application_accept(user=organizer, market_id=market.pk, application_id=application.pk)

    assert excinfo.value.extra == {"limit": 20, "resource": "active_vendors"}


def test_the_count_is_not_even_asked_for_on_an_unlimited_plan():
    paid = OrganizerFactory(plan=User.Plan.PAID)

    def count():
        raise AssertionError("counted for an unlimited plan")

    plans.market_limit_check(organizer=paid, count_markets=count)
    plans.active_vendor_limit_check(organizer=paid, count_active_vendors=count)
