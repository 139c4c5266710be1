"""API views of applications: the public apply endpoint and the organizer's review."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from applications import selectors, services
from applications.models import Application
from applications.serializers import (
    APPLICATION_LIST_FILTERS,
    ApplicationDecisionSerializer,
    ApplicationDocumentSerializer,
    ApplicationReadSerializer,
    ApplicationReceiptSerializer,
    ApplicationSubmitSerializer,
    ApplicationUndoSerializer,
    DirectoryVendorSerializer,
    DocumentReviewCreateSerializer,
    DocumentReviewReadSerializer,
    VendorApplicationSerializer,
    application_data,
    application_list_filters,
    application_receipt_data,
    directory_category_filter,
)
from marketflow.models import ProductCategory
from marketflow.plans import FREE_PLAN_MAX_ACTIVE_VENDORS
from marketflow.security import rate_limited
from marketflow.selectors import public_market, public_market_get
from marketflow.views import OrganizerAPIView
from stalls import services as stall_services
from vendors.models import Vendor, VendorDocument
from vendors.serializers import VendorReadSerializer
from vendors.views import VendorAPIView


class PublicApplyThrottle(BaseThrottle):
    """The apply form's budget (``marketflow.security.rate_limited``): one count per client
    address for the API and the form, one atomic increment instead of DRF's list of request
    times."""

    def allow_request(self, request, view):
        self.retry_after = rate_limited(request, view.throttle_scope)
        return not self.retry_after

    def wait(self):
        return self.retry_after


class PublicApplyView(APIView):
    """Apply to an active market: no account needed. The application is unconfirmed until
    the e-mail's owner follows the link mailed to it; a vendor signed in (token or session)
    under their own e-mail applies directly (pending)."""

    permission_classes = [AllowAny]
    throttle_classes = [PublicApplyThrottle]
    throttle_scope = "public_apply"
    error_statuses = {"POST": (401, 404, 409)}

    @extend_schema(
        request=ApplicationSubmitSerializer,
        responses={201: ApplicationReceiptSerializer},
        description='201 with `status: "unconfirmed"`: the application reaches the '
        "organizer once confirmed through the link e-mailed to `email` (deleted with its "
        "files after 7 days otherwise); `pending` when a vendor signed in under that e-mail "
        "applies. Conflict code: `application_already_open`.",
    )
    def post(self, request, market_id):
        serializer = ApplicationSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.application_submit(
            market=public_market_get(market_id=market_id),
            applicant=request.user,
            **serializer.validated_data,
        )
        return Response(application_receipt_data(application), status=status.HTTP_201_CREATED)


class ApplicationListView(OrganizerAPIView):
    queryset = Application.objects.none()  # the schema's model; requests read application_rows()
    serializer_class = ApplicationReadSerializer
    cursor_ordering = "-id"
    error_statuses = {"GET": (400,)}  # a filter value that is not one of its choices

    @extend_schema(
        responses=ApplicationReadSerializer(many=True),
        parameters=[
            OpenApiParameter(name, enum=[value for value, _label in field.choices])
            for name, field in APPLICATION_LIST_FILTERS.items()
        ],
    )
    def get(self, request, market_id):
        filters = application_list_filters(request.query_params)
        rows = selectors.application_rows(user=request.user, market_id=market_id, **filters)
        return self.rows_response(rows, application_data, check_scope=self.get_market)


class ApplicationDetailView(OrganizerAPIView):
    serializer_class = ApplicationReadSerializer

    def get(self, request, market_id, application_id):
        application = selectors.application_get(
            market=self.get_market(), application_id=application_id
        )
        return Response(ApplicationReadSerializer(application).data)


class ApplicationDecisionView(OrganizerAPIView):
    serializer_class = ApplicationReadSerializer
    decide = None  # the service
    input_serializer = ApplicationDecisionSerializer
    error_statuses = {"POST": (409,)}

    def post(self, request, market_id, application_id):
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = type(self).decide(
            user=request.user,
            market_id=market_id,
            application_id=application_id,
            **serializer.validated_data,
        )
        application = getattr(result, "application", result)  # a revocation carries it
        application = selectors.application_get(
            market=application.market, application_id=application.pk
        )
        return Response(ApplicationReadSerializer(application).data)


class ApplicationAcceptView(ApplicationDecisionView):
    decide = services.application_accept
    error_statuses = {"POST": (402, 409)}

    @extend_schema(
        request=ApplicationDecisionSerializer,
        responses=ApplicationReadSerializer,
        description="Accept a pending or waitlisted application. Conflict code "
        "`invalid_transition`; `plan_limit_reached` (402) when a free "
        f"market already has {FREE_PLAN_MAX_ACTIVE_VENDORS} active vendors.",
    )
    def post(self, request, market_id, application_id):
        return super().post(request, market_id, application_id)


class ApplicationRejectView(ApplicationDecisionView):
    decide = services.application_reject

    @extend_schema(
        request=ApplicationDecisionSerializer,
        responses=ApplicationReadSerializer,
        description="Reject a pending or waitlisted application, with an optional "
        "reason. Conflict code `invalid_transition`.",
    )
    def post(self, request, market_id, application_id):
        return super().post(request, market_id, application_id)


class ApplicationWaitlistView(ApplicationDecisionView):
    decide = services.application_waitlist

    @extend_schema(
        request=ApplicationDecisionSerializer,
        responses=ApplicationReadSerializer,
        description="Waitlist a pending application. Conflict code `invalid_transition`.",
    )
    def post(self, request, market_id, application_id):
        return super().post(request, market_id, application_id)


class ApplicationReopenView(ApplicationDecisionView):
    decide = services.application_reopen
    input_serializer = ApplicationUndoSerializer

    @extend_schema(
        request=ApplicationUndoSerializer,
        responses=ApplicationReadSerializer,
        description="Undo a rejection (or a revocation): the application is pending again "
        "and the vendor is e-mailed the `reason` (required). Conflict codes "
        "`invalid_transition`, `application_already_open` (the vendor has applied again).",
    )
    def post(self, request, market_id, application_id):
        return super().post(request, market_id, application_id)


class ApplicationRevokeView(ApplicationDecisionView):
    # The revocation also releases bookings: the stalls app's service.
    decide = stall_services.application_revoke
    input_serializer = ApplicationUndoSerializer

    @extend_schema(
        request=ApplicationUndoSerializer,
        responses=ApplicationReadSerializer,
        description="Undo an acceptance: the application becomes `revoked`, the vendor's "
        "unpaid bookings on the market's coming days are released (paid ones are kept) "
        "and the vendor is e-mailed the `reason` (required) and what was released. "
        "Conflict code `invalid_transition`.",
    )
    def post(self, request, market_id, application_id):
        return super().post(request, market_id, application_id)


class ApplicationDocumentListView(OrganizerAPIView):
    """The documents submitted with one application to the organizer's market."""

    queryset = VendorDocument.objects.none()  # the schema's model; requests use get_queryset()
    serializer_class = ApplicationDocumentSerializer
    cursor_ordering = "-id"

    def get_queryset(self):
        application = selectors.application_get(
            market=self.get_market(), application_id=self.kwargs["application_id"]
        )
        return selectors.application_document_list(application=application)

    @extend_schema(responses=ApplicationDocumentSerializer(many=True))
    def get(self, request, market_id, application_id):
        page = self.paginate_queryset(self.get_queryset())
        serializer = ApplicationDocumentSerializer(page, many=True, context={"request": request})
        return self.get_paginated_response(serializer.data)


class DocumentReviewView(OrganizerAPIView):
    """Approve a vendor's document for this market, or refuse it with a reason (the vendor
    sees both). Each market reviews a document for itself; a new review replaces the last.
    Only documents submitted with an application to the market can be reviewed."""

    serializer_class = DocumentReviewReadSerializer

    @extend_schema(request=DocumentReviewCreateSerializer, responses=DocumentReviewReadSerializer)
    def post(self, request, market_id, document_id):
        serializer = DocumentReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.document_review(
            user=request.user,
            market_id=market_id,
            document_id=document_id,
            **serializer.validated_data,
        )
        return Response(DocumentReviewReadSerializer(review).data)


class MarketVendorListView(OrganizerAPIView):
    """The market's active vendors: those with an accepted application."""

    queryset = Vendor.objects.none()
    serializer_class = VendorReadSerializer
    cursor_ordering = "business_name"

    def get_queryset(self):
        return selectors.active_vendor_list(market=self.get_market())

    @extend_schema(responses=VendorReadSerializer(many=True))
    def get(self, request, market_id):
        return self.list_response(self.get_queryset(), VendorReadSerializer)


class MeApplicationListView(VendorAPIView):
    queryset = Application.objects.none()
    serializer_class = VendorApplicationSerializer
    cursor_ordering = "-id"

    @extend_schema(responses=VendorApplicationSerializer(many=True))
    def get(self, request):
        applications = selectors.vendor_application_list(vendor=self.get_vendor())
        return self.list_response(applications, VendorApplicationSerializer)


class PublicDirectoryView(generics.ListAPIView):
    """The vendors an active market lists publicly (accepted there, and opted in), by name,
    a cursor page at a time; ``category`` (a code) narrows them. Cached per page, forgotten
    when a vendor opts in or out, edits their listing, or an application is decided."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicApplyThrottle]  # a budget per client address, as applying
    throttle_scope = "public_directory"
    serializer_class = DirectoryVendorSerializer
    queryset = Vendor.objects.none()  # the schema's model; get() reads through the selector
    cursor_ordering = ("business_name", "id")

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter("category", enum=ProductCategory.values, description="A code."),
        ],
    )
    def get(self, request, market_id):
        market = public_market(market_id=market_id)["market"]  # cached; 404 unless active
        # Only what shapes the answer: other parameters cannot fill the cache with copies.
        shape = [request.query_params.get(name, "") for name in ("category", "cursor", "page_size")]

        def answer() -> dict:
            category = directory_category_filter(request.query_params)
            vendors = selectors.directory_vendor_list(market_id=market["id"], category=category)
            page = self.paginate_queryset(vendors)
            context = {"slug": market["slug"]}
            serialized = DirectoryVendorSerializer(page, many=True, context=context).data
            return self.get_paginated_response(serialized).data

        data = selectors.public_directory_cached(
            market_id=market["id"], shape=f"api:{shape}", compute=answer
        )
        return Response(data)
