"""API views of seasons (organizers, their own markets only)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from marketflow.views import OrganizerAPIView
from seasons import selectors, services
from seasons.models import Season, SeasonVendor
from seasons.serializers import (
    FullSeasonBookingSerializer,
    SeasonChangesSerializer,
    SeasonReadSerializer,
    SeasonSavedSerializer,
    SeasonUpdateSerializer,
    SeasonVendorCreateSerializer,
    SeasonVendorReadSerializer,
    SeasonWriteSerializer,
    season_changes_data,
)

CHANGES = (
    "The season's market days follow it in the same transaction: dates still to come are "
    "created, re-timed, or, once out of the schedule, deleted (no bookings) or cancelled "
    "(with bookings, kept); full-season vendors are booked on created days. `changes` says "
    "what was done; the `preview/` endpoints say it without writing."
)


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SeasonScopedView(OrganizerAPIView):
    def season_read(self, season_id) -> dict:
        """The season with its counts, in one query that also checks the market's owner."""
        return SeasonReadSerializer(
            selectors.season_get_counted(
                user=self.request.user, market_id=self.kwargs["market_id"], season_id=season_id
            )
        ).data

    def saved_response(self, saved, status_code=status.HTTP_200_OK) -> Response:
        body = {
            "season": self.season_read(saved.season.pk),
            "changes": season_changes_data(saved.changes),
        }
        return Response(body, status=status_code)


class SeasonListCreateView(SeasonScopedView):
    queryset = Season.objects.none()  # the schema's model; requests use the selector
    serializer_class = SeasonReadSerializer
    cursor_ordering = "id"  # UUIDv7: in the order they were made
    error_statuses = {"POST": (409,)}

    @extend_schema(responses=SeasonReadSerializer(many=True))
    def get(self, request, market_id):
        seasons = selectors.season_list(user=request.user, market_id=market_id)
        response = self.list_response(seasons, SeasonReadSerializer)
        if not response.data["results"]:
            self.get_market()  # an empty list of another organizer's market is a 404
        return response

    @extend_schema(
        request=SeasonWriteSerializer,
        responses={201: SeasonSavedSerializer},
        description=CHANGES + " Conflict codes: `season_name_taken`, `market_day_date_taken`.",
    )
    def post(self, request, market_id):
        data = _valid(SeasonWriteSerializer, request)
        saved = services.season_create(user=request.user, market_id=market_id, **data)
        return self.saved_response(saved, status.HTTP_201_CREATED)


class SeasonCreatePreviewView(SeasonScopedView):
    serializer_class = SeasonChangesSerializer

    @extend_schema(
        request=SeasonWriteSerializer,
        responses=SeasonChangesSerializer,
        description="What creating this season would do to the market days; writes nothing.",
        operation_id="season_create_preview",
    )
    def post(self, request, market_id):
        data = _valid(SeasonWriteSerializer, request)
        changes = services.season_preview(user=request.user, market_id=market_id, **data)
        return Response(season_changes_data(changes))


class SeasonDetailView(SeasonScopedView):
    serializer_class = SeasonReadSerializer
    error_statuses = {"PATCH": (409,)}

    def get(self, request, market_id, season_id):
        return Response(self.season_read(season_id))

    @extend_schema(
        request=SeasonUpdateSerializer,
        responses=SeasonSavedSerializer,
        description=CHANGES + " Conflict codes: `season_name_taken`, `market_day_date_taken`.",
    )
    def patch(self, request, market_id, season_id):
        data = _valid(SeasonUpdateSerializer, request, partial=True)
        saved = services.season_update(
            user=request.user, market_id=market_id, season_id=season_id, **data
        )
        return self.saved_response(saved)

    @extend_schema(
        responses={204: None},
        description="Remove the season and its full-season places; its market days and their "
        "bookings stay, as ordinary market days.",
    )
    def delete(self, request, market_id, season_id):
        services.season_delete(user=request.user, market_id=market_id, season_id=season_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SeasonUpdatePreviewView(SeasonScopedView):
    serializer_class = SeasonChangesSerializer

    @extend_schema(
        request=SeasonUpdateSerializer,
        responses=SeasonChangesSerializer,
        description="What this change of the season would do to its market days; writes nothing.",
    )
    def post(self, request, market_id, season_id):
        data = _valid(SeasonUpdateSerializer, request, partial=True)
        changes = services.season_preview(
            user=request.user, market_id=market_id, season_id=season_id, **data
        )
        return Response(season_changes_data(changes))


class SeasonVendorListCreateView(SeasonScopedView):
    queryset = SeasonVendor.objects.none()
    serializer_class = SeasonVendorReadSerializer
    cursor_ordering = "id"
    error_statuses = {"POST": (409,)}

    def get_season(self):
        return selectors.season_get(market=self.get_market(), season_id=self.kwargs["season_id"])

    @extend_schema(responses=SeasonVendorReadSerializer(many=True))
    def get(self, request, market_id, season_id):
        members = selectors.season_vendor_list(season=self.get_season())
        return self.list_response(members, SeasonVendorReadSerializer)

    @extend_schema(
        request=SeasonVendorCreateSerializer,
        responses={201: FullSeasonBookingSerializer},
        description="Make an accepted vendor full-season on a stall: booked on every "
        "scheduled day of the season still to come in one transaction (by the booking rules; "
        "days where the stall or the vendor is taken are skipped and listed), and on every "
        "day the season adds later. With a season fee, each booking carries an equal share "
        "of it, the remainder on the first. Conflict codes: `season_vendor_taken`, "
        "`vendor_not_accepted`.",
    )
    def post(self, request, market_id, season_id):
        data = _valid(SeasonVendorCreateSerializer, request)
        result = services.season_vendor_add(
            user=request.user, market_id=market_id, season_id=season_id, **data
        )
        return Response(FullSeasonBookingSerializer(result).data, status=status.HTTP_201_CREATED)


class SeasonVendorDetailView(SeasonScopedView):
    serializer_class = SeasonVendorReadSerializer

    @extend_schema(
        responses={204: None},
        description="The vendor becomes day-by-day: their bookings stay, days the season "
        "adds later are not booked for them.",
    )
    def delete(self, request, market_id, season_id, season_vendor_id):
        services.season_vendor_remove(
            user=request.user,
            market_id=market_id,
            season_id=season_id,
            season_vendor_id=season_vendor_id,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
