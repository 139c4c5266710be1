from rest_framework.permissions import BasePermission

from marketflow.selectors import manages_markets


class IsOrganizer(BasePermission):
    message = "Only organizers can manage markets."
    code = "not_an_organizer"

    def has_permission(self, request, view):
        return manages_markets(request.user)
