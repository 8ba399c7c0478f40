"""Personal IDs as lists show them to roles that do not need them whole."""


def mask_id(personal_id: str | None) -> str:
    """'098090000001' -> '********0001': enough to tell two residents apart, not to use the ID."""
    if not personal_id:
        return ""
    return "*" * (len(personal_id) - 4) + personal_id[-4:]
