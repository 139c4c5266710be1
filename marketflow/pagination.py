from rest_framework import exceptions, pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pages: constant cost at any depth, stable while rows are added.

    Answers ``{"next", "previous", "results"}``. A view names its unique sort key in
    ``cursor_ordering``; the default is newest first by UUIDv7 id.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "cursor_ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def decode_cursor(self, request):
        """A position is compared with the sort key in SQL, where PostgreSQL refuses a NUL
        character in text: such a (forged) cursor is invalid input, as a malformed date is."""
        cursor = super().decode_cursor(request)
        if cursor is not None and "\x00" in (cursor.position or ""):
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]})
        return cursor
