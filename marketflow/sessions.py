"""Django's database sessions, each request's session read by a prepared query
(marketflow/prepared.py) instead of one compiled per request. Same table, same rules."""

import datetime
import logging

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.core.exceptions import SuspiciousOperation
from django.utils import timezone

from marketflow.prepared import PreparedGet

_live_session = PreparedGet(
    lambda session_key, now: Session.objects.filter(session_key=session_key, expire_date__gt=now),
    session_key=str,
    now=datetime.datetime,
)


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        try:
            session = _live_session.get(session_key=self.session_key, now=timezone.now())
        except SuspiciousOperation as error:
            logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            session = None
        if session is None:
            self._session_key = None
        return session
