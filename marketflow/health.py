"""Probes for the load balancer and the orchestrator.

- ``/healthz``: the process is up and answers. Touches nothing else (no database, no cache),
  so a database outage does not get every web process restarted.
- ``/readyz``: this process can serve: the database, the cache, the file storage and the
  task queue answer. 200 when all do; 503 naming each that does not, e.g.
  ``{"status": "unavailable", "checks": {"database": "ok", "cache": "unavailable", ...}}``.
  Why a check failed goes to the log only (it may name hosts).

Both answer plain HTTP (exempt from the HTTPS redirect) to any client; they reveal no data.
"""

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def cache_answers() -> None:
    key, value = f"readyz:{uuid.uuid4().hex}", "ok"
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("The cache did not return what was just stored in it.")
    cache.delete(key)


def storage_answers() -> None:
    name = default_storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)


def task_queue_answers() -> None:
    """The database queue's table can be read (the worker takes tasks from it); the
    immediate backend of development has no queue to reach."""
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        DBTaskResult.objects.filter(pk__isnull=True).exists()


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": database_answers,
    "cache": cache_answers,
    "storage": storage_answers,
    "task_queue": task_queue_answers,
}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception:  # whatever the failure, this part is not ready: say which
            logger.exception("Readiness check %s failed", name)
            checks[name] = "unavailable"
        else:
            checks[name] = "ok"
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
