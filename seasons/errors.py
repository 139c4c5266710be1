from marketflow.errors import ConflictError, NotFoundError


class SeasonNotFoundError(NotFoundError):
    default_message = "Season not found."


class SeasonNameTakenError(ConflictError):
    code = "season_name_taken"
    default_message = "This market already has a season with that name."


class SeasonVendorTakenError(ConflictError):
    code = "season_vendor_taken"
    default_message = "This vendor or stall is already full-season in this season."


class SeasonVendorNotFoundError(NotFoundError):
    default_message = "Full-season vendor not found."
