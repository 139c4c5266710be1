"""The signed-in vendor's own profile."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from marketflow.views import ListResponseMixin
from vendors import services
from vendors.selectors import vendor_for_user
from vendors.serializers import VendorReadSerializer, VendorUpdateSerializer


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
