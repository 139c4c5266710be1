"""Signed-in requests on prepared reads: the session (marketflow/sessions.py), the user
(marketflow.authentication.ModelBackend), and admin pages that do not ask an organizer's
permissions for the platform's own admins (marketflow.admin_site.PlatformAdminMixin)."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketflow import prepared

pytestmark = pytest.mark.django_db


def session_of(client):
    return Session.objects.get(session_key=client.cookies["sessionid"].value)


def test_a_live_session_signs_in_through_prepared_reads(organizer_admin, monkeypatch):
    ran = []
    original = prepared._Compiled.fetch

    def fetch(self, values, size=None):
        ran.append(self.model.__name__)
        return original(self, values, size)

    monkeypatch.setattr(prepared._Compiled, "fetch", fetch)
    assert organizer_admin.get("/admin/").status_code == 200
    assert ran[:2] == ["Session", "User"]


def test_an_expired_session_is_signed_out(organizer_admin):
    session = session_of(organizer_admin)
    session.expire_date = timezone.now() - datetime.timedelta(seconds=1)
    session.save()
    response = organizer_admin.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_inactive_user_is_signed_out(organizer, organizer_admin):
    organizer.is_active = False
    organizer.save()
    response = organizer_admin.get("/admin/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_organizers_are_not_asked_for_permissions(organizer_admin, market):
    with CaptureQueriesContext(connection) as queries:
        page = organizer_admin.get("/admin/applications/application/")
    assert page.status_code == 200
    assert not [q for q in queries if "auth_permission" in q["sql"]]
    assert b"/admin/auth/group/" not in page.content


def test_superusers_still_see_the_platform_admins(superuser_admin):
    page = superuser_admin.get("/admin/")
    for path in (b"/admin/auth/group/", b"/admin/marketflow/user/", b"/admin/authtoken/"):
        assert path in page.content, path
