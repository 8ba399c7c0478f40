"""Money is whole VND: amounts are rounded half up, as the agency rounds."""

from decimal import ROUND_HALF_UP, Decimal


def whole_vnd(amount: Decimal | int) -> int:
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))
