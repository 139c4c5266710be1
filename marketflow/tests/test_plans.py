"""Every plan limit lives in marketflow/plans.py; these pin the numbers and who they bind."""

import datetime

import pytest
from django.utils import timezone

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

    assert excinfo.value.extra == {
        "limit": 20,
        "resource": "active_vendors",
        "upgrade_url": "http://testserver/billing/",
    }


def test_the_count_is_not_even_asked_for_on_an_unlimited_plan():
    paid = OrganizerFactory(plan=User.Plan.PAID)

    def count():
        raise AssertionError("counted for an unlimited plan")

    plans.market_limit_check(organizer=paid, count_markets=count)
    plans.active_vendor_limit_check(organizer=paid, count_active_vendors=count)


def test_back_on_the_free_plan_over_the_limit_keeps_all_and_accepts_no_one(refused, organizer):
    """Cancelling the paid plan deletes nothing; beyond the free limits nothing new is added."""
    market = MarketFactory(organizer=organizer)
    second = MarketFactory(organizer=organizer)
    AcceptedApplicationFactory.create_batch(plans.FREE_PLAN_MAX_ACTIVE_VENDORS + 2, market=market)
    application = ApplicationFactory(market=market)

    with refused("plan_limit_reached"):
        application_accept(user=organizer, market_id=market.pk, application_id=application.pk)
    with refused("plan_limit_reached"):
        market_create(organizer=organizer, name="Third", slug="third")

    assert set(Market.objects.filter(organizer=organizer)) == {market, second}
    accepted = Application.objects.filter(market=market, status=Application.Status.ACCEPTED)
    assert accepted.count() == plans.FREE_PLAN_MAX_ACTIVE_VENDORS + 2


@pytest.mark.parametrize(("days_left", "paid"), [(1, True), (-1, False)])
def test_a_past_due_plan_is_paid_until_its_grace_ends(days_left, paid):
    grace_until = timezone.now() + datetime.timedelta(days=days_left)
    organizer = OrganizerFactory(plan=User.Plan.PAID, plan_grace_until=grace_until)

    assert organizer.has_paid_plan is paid
    assert plans.has_plan_limits(organizer) is not paid
    assert plans.plan_summary(organizer)["plan"] == ("paid" if paid else "free")
