"""The project's URLs plus the framework-floor views. Loaded only by ``bench.settings``."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from marketflow.urls import urlpatterns as project_urlpatterns


class ApiFloorView(APIView):
    """Nothing but the framework: the project's middleware, token authentication,
    IsAuthenticated and the JSON renderer, around a constant answer."""

    def get(self, request):
        return Response({"ok": True})


def page_floor_view(request):
    """The floor of an anonymous page: the middleware and a constant answer."""
    return HttpResponse(b"<!doctype html><title>ok</title>", content_type="text/html")


urlpatterns = [
    path("__bench__/api-floor/", ApiFloorView.as_view(), name="bench-api-floor"),
    path("__bench__/page-floor/", page_floor_view, name="bench-page-floor"),
    *project_urlpatterns,
]
