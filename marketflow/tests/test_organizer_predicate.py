"""One "acts as organizer" rule (marketflow.selectors): the API's permission, the market
selectors, market creation and the admin all answer from it, so they agree for every kind
of user."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from marketflow.errors import MarketNotFoundError
from marketflow.permissions import IsOrganizer
from marketflow.selectors import acts_as_organizer, manages_markets, market_get, market_list
from marketflow.tests.factories import MarketFactory, OrganizerFactory, UserFactory

pytestmark = pytest.mark.django_db

USERS = {
    "anonymous": lambda: AnonymousUser(),
    "vendor account": lambda: UserFactory(),
    "staff, not an organizer": lambda: UserFactory(is_staff=True),
    "organizer": lambda: OrganizerFactory(),
    "inactive organizer": lambda: OrganizerFactory(is_active=False),
    "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
}
# (acts as organizer, manages markets, sees which markets)
EXPECTED = {
    "anonymous": (False, False, "none"),
    "vendor account": (False, False, "none"),
    "staff, not an organizer": (False, False, "none"),
    "organizer": (True, True, "own"),
    "inactive organizer": (False, False, "none"),
    "superuser": (False, True, "all"),
}


@pytest.mark.parametrize("kind", USERS)
def test_every_face_answers_from_the_one_predicate(kind):
    user = USERS[kind]()
    own = MarketFactory(organizer=user) if getattr(user, "is_organizer", False) else None
    someone_elses = MarketFactory()
    request = RequestFactory().get("/api/markets/")
    request.user = user
    acts, manages, sees = EXPECTED[kind]

    assert acts_as_organizer(user) is acts
    assert manages_markets(user) is manages
    assert IsOrganizer().has_permission(request, view=None) is manages
    visible = set(market_list(user=user))
    assert visible == {"none": set(), "own": {own}, "all": {own, someone_elses} - {None}}[sees]
    if sees != "all":
        with pytest.raises(MarketNotFoundError):
            market_get(user=user, market_id=someone_elses.pk)
    if own is not None and sees != "none":
        assert market_get(user=user, market_id=own.pk) == own
