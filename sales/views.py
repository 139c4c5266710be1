"""API views of token reconciliation: the organizer's payouts and settling up (their own
markets only), and the vendor's statement netted."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from marketflow.views import OrganizerAPIView
from sales import selectors, settlements
from sales.serializers import (
    MarketPayoutsSerializer,
    MeStatementSerializer,
    SettlementReadSerializer,
    SettleSerializer,
    market_payouts_data,
    vendor_statements_data,
)
from vendors.views import VendorAPIView


class MarketPayoutsView(OrganizerAPIView):
    """What to pay out: each vendor with tokens owed by the market (their sales reports not
    yet settled) or fees owed to it, and the net, by business name."""

    serializer_class = MarketPayoutsSerializer

    def get(self, request, market_id):
        market = self.get_market()
        return Response(
            market_payouts_data(market=market, rows=selectors.market_payouts(market=market))
        )


class MarketPayoutSettleView(OrganizerAPIView):
    serializer_class = SettlementReadSerializer
    error_statuses = {"POST": (409,)}

    @extend_schema(
        request=SettleSerializer,
        responses={201: SettlementReadSerializer},
        description="Settle up with a vendor: their unsettled tokens net of the fees they owe, "
        "as `GET payouts/` showed them (`expected_net_cents`). The reports are marked settled "
        "(no longer revisable) and the fees paid (`payment_method` `settlement`). Conflict "
        "codes: `settlement_changed` (the figures changed: the new ones in `extra`), "
        "`nothing_to_settle`.",
    )
    def post(self, request, market_id, vendor_id):
        serializer = SettleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        settlement = settlements.settlement_create(
            user=request.user, market_id=market_id, vendor_id=vendor_id, **serializer.validated_data
        )
        return Response(SettlementReadSerializer(settlement).data, status=status.HTTP_201_CREATED)


class MeFeesView(VendorAPIView):
    """The signed-in vendor's fees per market across all its days: due (unpaid stall and
    sales fees, on days that take place), paid and waived, a line per booking; and netted
    against the tokens the market owes them (`tokens_owed_cents`, `net_cents`)."""

    serializer_class = MeStatementSerializer

    def get(self, request):
        vendor = self.get_vendor()
        return Response(vendor_statements_data(selectors.vendor_statements(vendor_id=vendor.pk)))
