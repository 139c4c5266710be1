"""API views of the platform core: tokens, markets, market days, the public market page."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from marketflow import selectors, services
from marketflow.authentication import TokenAuthentication
from marketflow.models import ApiToken, MarketDay
from marketflow.permissions import IsOrganizer
from marketflow.security import LoginLockedOut
from marketflow.serializers import (
    ApiTokenReadSerializer,
    MarketCreateSerializer,
    MarketDayCreateSerializer,
    MarketDayReadSerializer,
    MarketDayUpdateSerializer,
    MarketReadSerializer,
    MarketUpdateSerializer,
    PublicMarketSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
    public_market_data,
)
from stalls import services as stall_services


class TokenView(APIView):
    """Exchange an e-mail and password for a new API token, which works until `expiry`."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    error_statuses = {"POST": (401, 429)}

    def get_authenticate_header(self, request):
        # Wrong credentials are a 401 with a challenge; with no authentication classes DRF
        # would otherwise turn them into a 403.
        return "Token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer},
        auth=[],
        operation_id="auth_token_create",
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request,
            email=serializer.validated_data["email"].strip().lower(),
            password=serializer.validated_data["password"],
        )
        if user is None:
            # django-axes flags the request once this e-mail is locked out from this client.
            if getattr(request, "axes_locked_out", False):
                raise LoginLockedOut()
            raise AuthenticationFailed("Wrong e-mail or password.")
        token, secret = services.user_token_create(user=user)
        return Response(TokenResponseSerializer({"token": secret, "expiry": token.expiry}).data)


class LogoutView(APIView):
    """End the token this request is signed with."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout")
    def post(self, request):
        services.user_token_revoke(user=request.user, token_id=request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """End every API token of the signed-in user."""

    @extend_schema(request=None, responses={204: None}, operation_id="auth_logout_all")
    def post(self, request):
        services.user_tokens_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ListResponseMixin:
    def list_response(self, queryset, serializer_class):
        """A cursor page of ``queryset`` (model instances) in the shape of ``serializer_class``."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    def rows_response(self, rows, shape, check_scope=None):
        """A cursor page of ``rows`` (a ``values()`` queryset holding the sort key), each page
        turned by ``shape`` into what the read serializer would answer: a hot list's path.
        Rows that their own query scopes to the user pass ``check_scope``, run only for an
        empty page, to tell an empty list (200) from a scope that is not the user's."""
        response = self.get_paginated_response(shape(self.paginate_queryset(rows)))
        if check_scope is not None and not response.data["results"]:
            check_scope()
        return response


class OrganizerAPIView(ListResponseMixin, generics.GenericAPIView):
    """Base for organizer endpoints: ``get_market()`` is one of the user's own markets."""

    permission_classes = [IsAuthenticated, IsOrganizer]

    def get_market(self):
        if not hasattr(self, "_market"):
            self._market = selectors.market_get(
                user=self.request.user, market_id=self.kwargs["market_id"]
            )
        return self._market


class TokenListView(ListResponseMixin, generics.GenericAPIView):
    """The signed-in user's API tokens that still work (never their secrets)."""

    queryset = ApiToken.objects.none()  # the schema's model; requests use the selector
    serializer_class = ApiTokenReadSerializer
    cursor_ordering = "-id"  # newest first

    @extend_schema(responses=ApiTokenReadSerializer(many=True))
    def get(self, request):
        tokens = selectors.user_token_list(user=request.user)
        return self.list_response(tokens, ApiTokenReadSerializer)


class TokenDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, token_id):
        """End one of the signed-in user's tokens."""
        services.user_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MarketListCreateView(OrganizerAPIView):
    serializer_class = MarketReadSerializer
    cursor_ordering = "-id"
    error_statuses = {"POST": (402, 409)}

    def get_queryset(self):
        return selectors.market_list(user=self.request.user)

    @extend_schema(responses=MarketReadSerializer(many=True))
    def get(self, request):
        return self.list_response(self.get_queryset(), MarketReadSerializer)

    @extend_schema(request=MarketCreateSerializer, responses={201: MarketReadSerializer})
    def post(self, request):
        serializer = MarketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        market = services.market_create(organizer=request.user, **serializer.validated_data)
        return Response(MarketReadSerializer(market).data, status=status.HTTP_201_CREATED)


class MarketDetailView(OrganizerAPIView):
    serializer_class = MarketReadSerializer
    error_statuses = {"PATCH": (409,), "PUT": (409,), "DELETE": (409,)}

    def get(self, request, market_id):
        return Response(MarketReadSerializer(self.get_market()).data)

    @extend_schema(request=MarketUpdateSerializer, responses=MarketReadSerializer)
    def patch(self, request, market_id):
        serializer = MarketUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        market = services.market_update(
            user=request.user, market_id=market_id, **serializer.validated_data
        )
        return Response(MarketReadSerializer(market).data)

    @extend_schema(request=MarketCreateSerializer, responses=MarketReadSerializer)
    def put(self, request, market_id):
        serializer = MarketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        market = services.market_update(
            user=request.user, market_id=market_id, **serializer.validated_data
        )
        return Response(MarketReadSerializer(market).data)

    @extend_schema(responses={204: None})
    def delete(self, request, market_id):
        services.market_delete(user=request.user, market_id=market_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MarketDayListCreateView(OrganizerAPIView):
    queryset = MarketDay.objects.none()  # the schema's model; requests use get_queryset()
    serializer_class = MarketDayReadSerializer
    cursor_ordering = "date"
    error_statuses = {"POST": (409,)}

    def get_queryset(self):
        return selectors.market_day_list(market=self.get_market())

    @extend_schema(responses=MarketDayReadSerializer(many=True))
    def get(self, request, market_id):
        return self.list_response(self.get_queryset(), MarketDayReadSerializer)

    @extend_schema(request=MarketDayCreateSerializer, responses={201: MarketDayReadSerializer})
    def post(self, request, market_id):
        serializer = MarketDayCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        market_day = services.market_day_create(
            user=request.user, market_id=market_id, **serializer.validated_data
        )
        return Response(MarketDayReadSerializer(market_day).data, status=status.HTTP_201_CREATED)


class MarketDayDetailView(OrganizerAPIView):
    serializer_class = MarketDayReadSerializer
    error_statuses = {"PATCH": (409,), "DELETE": (409,)}

    def get(self, request, market_id, market_day_id):
        market_day = selectors.market_day_get(market=self.get_market(), market_day_id=market_day_id)
        return Response(MarketDayReadSerializer(market_day).data)

    @extend_schema(
        request=MarketDayUpdateSerializer,
        responses=MarketDayReadSerializer,
        description="Change a market day. `status` `cancelled` cancels it (weather): its "
        "bookings are kept, every booked vendor is e-mailed, unpaid fees are no longer owed, "
        "and paid fees follow the market's `cancelled_day_policy`: `credit` (default) gives "
        "the vendor a credit of the fee, applied to their next booking at the market; "
        "`refund` refunds card payments through Stripe and marks cash payments `refund_due` "
        "(the organizer pays them back and records the refund). `status` `scheduled` "
        "reinstates a cancelled day: credits it gave that are not yet used are withdrawn, "
        "used ones stay used, refunds made stay made. Conflict codes: `invalid_transition`, "
        "`market_day_in_past`, `market_day_has_bookings`, `market_day_date_taken`.",
    )
    def patch(self, request, market_id, market_day_id):
        serializer = MarketDayUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        # The stalls app's service: a cancelled day's fees are credited or refunded.
        market_day = stall_services.market_day_update_with_fees(
            user=request.user,
            market_id=market_id,
            market_day_id=market_day_id,
            **serializer.validated_data,
        )
        return Response(MarketDayReadSerializer(market_day).data)

    @extend_schema(responses={204: None})
    def delete(self, request, market_id, market_day_id):
        services.market_day_delete(
            user=request.user, market_id=market_id, market_day_id=market_day_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PublicMarketView(APIView):
    """An active market as anyone sees it, with its upcoming market days."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PublicMarketSerializer, auth=[])
    def get(self, request, market_id):
        return Response(public_market_data(selectors.public_market(market_id=market_id)))
