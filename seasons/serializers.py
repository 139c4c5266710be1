"""API shapes of seasons and their full-season vendors."""

from rest_framework import serializers

from seasons.models import MAX_SEASON_DAYS, Season


class SeasonSlotSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday."
    )
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")


class SeasonExceptionSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="A date of the weekly pattern.")
    moved_to = serializers.DateField(
        required=False, allow_null=True, help_text="Absent or null: the date is skipped."
    )
    start_time = serializers.TimeField(
        format="%H:%M", required=False, help_text="A moved day's times; absent: the pattern's."
    )
    end_time = serializers.TimeField(format="%H:%M", required=False)


class SeasonWriteSerializer(serializers.ModelSerializer):
    weekly_pattern = SeasonSlotSerializer(many=True, allow_empty=False)
    exceptions = SeasonExceptionSerializer(many=True, required=False)

    class Meta:
        model = Season
        fields = ["name", "start_date", "end_date", "weekly_pattern", "exceptions", "fee_cents"]
        extra_kwargs = {
            "end_date": {"help_text": f"Inclusive; at most {MAX_SEASON_DAYS} days after the start."}
        }


class SeasonUpdateSerializer(SeasonWriteSerializer):
    class Meta(SeasonWriteSerializer.Meta):
        extra_kwargs = {name: {"required": False} for name in SeasonWriteSerializer.Meta.fields}


class SeasonReadSerializer(serializers.ModelSerializer):
    weekly_pattern = SeasonSlotSerializer(many=True)
    exceptions = SeasonExceptionSerializer(many=True)
    day_count = serializers.IntegerField(help_text="Market days the season generated.")
    vendor_count = serializers.IntegerField(help_text="Full-season vendors.")

    class Meta:
        model = Season
        fields = [
            "id",
            "market_id",
            "name",
            "start_date",
            "end_date",
            "weekly_pattern",
            "exceptions",
            "fee_cents",
            "day_count",
            "vendor_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CancelledDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    bookings = serializers.IntegerField()


class SkippedBookingSerializer(serializers.Serializer):
    date = serializers.DateField()
    vendor = serializers.CharField()
    stall = serializers.CharField()
    reason = serializers.CharField()


class SeasonChangesSerializer(serializers.Serializer):
    """What a season's change does (or would do) to its market days."""

    summary = serializers.CharField()
    created = serializers.ListField(child=serializers.DateField())
    retimed = serializers.ListField(child=serializers.DateField())
    cancelled = CancelledDaySerializer(many=True, help_text="Days with bookings: cancelled.")
    deleted = serializers.ListField(child=serializers.DateField(), help_text="Days without.")
    taken = serializers.ListField(
        child=serializers.DateField(), help_text="Dates with another market day: left alone."
    )
    full_season_vendors = serializers.IntegerField(help_text="Booked on each created day.")
    booked = serializers.IntegerField(help_text="Bookings made (0 in a preview).")
    skipped = SkippedBookingSerializer(many=True, help_text="Full-season bookings not made.")


def season_changes_data(changes) -> dict:
    return SeasonChangesSerializer(
        {
            **vars(changes),
            "summary": changes.summary(),
            "cancelled": [{"date": d, "bookings": n} for d, n in changes.cancelled],
        }
    ).data


class SeasonSavedSerializer(serializers.Serializer):
    season = SeasonReadSerializer()
    changes = SeasonChangesSerializer()


class SeasonVendorCreateSerializer(serializers.Serializer):
    vendor_id = serializers.UUIDField()
    stall_id = serializers.UUIDField()


class SeasonVendorReadSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    vendor_id = serializers.UUIDField()
    business_name = serializers.CharField(source="vendor.business_name")
    stall_id = serializers.UUIDField()
    stall_label = serializers.CharField(source="stall.label")
    created_at = serializers.DateTimeField()


class FullSeasonBookingSerializer(serializers.Serializer):
    season_vendor = SeasonVendorReadSerializer()
    booked = serializers.IntegerField(help_text="Days the vendor was booked on.")
    skipped = SkippedBookingSerializer(many=True, help_text="Days they were not, and why.")
