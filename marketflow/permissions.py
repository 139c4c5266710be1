from rest_framework.permissions import BasePermission


class IsOrganizer(BasePermission):
    message = "Only organizers can manage markets."
    code = "not_an_organizer"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_organizer or user.is_superuser))
