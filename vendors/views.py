"""The signed-in vendor's own profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from marketflow.plans import plan_summary
from marketflow.selectors import manages_markets
from marketflow.serializers import MeSerializer
from marketflow.views import ListResponseMixin
from vendors import services
from vendors.models import VendorDocument
from vendors.selectors import (
    document_review_list,
    user_is_vendor,
    vendor_document_list,
    vendor_for_user,
)
from vendors.serializers import (
    MeDocumentSerializer,
    VendorDirectoryReadSerializer,
    VendorDirectoryUpdateSerializer,
    VendorReadSerializer,
    VendorUpdateSerializer,
)


# Here, not in the core: it asks the vendors app whether the user has a vendor profile.
class MeView(generics.GenericAPIView):
    """Who is signed in (by token or session): any user."""

    serializer_class = MeSerializer

    def get(self, request):
        user = request.user
        me = {"id": user.pk, "email": user.email} | plan_summary(user)
        me |= {"is_organizer": manages_markets(user), "is_vendor": user_is_vendor(user=user)}
        return Response(MeSerializer(me).data)


class VendorAPIView(ListResponseMixin, generics.GenericAPIView):
    """Base for the vendor's own endpoints: ``get_vendor()`` is the signed-in user's vendor;
    a user without a vendor profile gets 403 ``not_a_vendor``."""

    permission_classes = [IsAuthenticated]

    def get_vendor(self):
        if not hasattr(self, "_vendor"):
            self._vendor = vendor_for_user(user=self.request.user)
        return self._vendor


class MeVendorView(VendorAPIView):
    serializer_class = VendorReadSerializer

    def get(self, request):
        return Response(VendorReadSerializer(self.get_vendor()).data)

    @extend_schema(
        request=VendorUpdateSerializer,
        responses=VendorReadSerializer,
        description="Update the profile. The e-mail is the vendor's identity and "
        "cannot be changed.",
    )
    def patch(self, request):
        self.get_vendor()
        serializer = VendorUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vendor = services.vendor_update(user=request.user, **serializer.validated_data)
        return Response(VendorReadSerializer(vendor).data)


class MeVendorDirectoryView(VendorAPIView):
    """The vendor's listing in the public directory of the markets that accepted them."""

    serializer_class = VendorDirectoryReadSerializer

    def get(self, request):
        return Response(VendorDirectoryReadSerializer(self.get_vendor()).data)

    @extend_schema(
        request={
            "multipart/form-data": VendorDirectoryUpdateSerializer,
            "application/json": VendorDirectoryUpdateSerializer,
        },
        responses=VendorDirectoryReadSerializer,
    )
    def patch(self, request):
        self.get_vendor()
        serializer = VendorDirectoryUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        vendor = services.vendor_directory_update(user=request.user, **serializer.validated_data)
        return Response(VendorDirectoryReadSerializer(vendor).data)


class MeDocumentListView(VendorAPIView):
    """The signed-in vendor's documents, newest first, with each market's review of them."""

    queryset = VendorDocument.objects.none()
    serializer_class = MeDocumentSerializer
    cursor_ordering = "-id"

    @extend_schema(responses=MeDocumentSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(vendor_document_list(vendor=self.get_vendor()))
        context = {"reviews": document_review_list(documents=page)}
        return self.get_paginated_response(
            MeDocumentSerializer(page, many=True, context=context).data
        )
