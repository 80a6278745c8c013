from sampleapp.errors import fail


def reserve(sku: str, quantity: int) -> None:
    fail(f"cannot reserve {quantity} of {sku}: out of stock")


def release(sku: str, quantity: int) -> None:
    fail(f"cannot release {quantity} of {sku}: nothing reserved")
