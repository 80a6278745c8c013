"""Release 1.0 of the checkout module."""

from sampleapp.errors import PaymentDeclined


def charge(order_id: str, card: int, amount: int) -> None:
    raise PaymentDeclined(f"card {card:#x} declined for order {order_id} (amount={amount})")


def checkout(order_id: str, card: int, amount: int) -> None:
    charge(order_id, card, amount)


def checkout_from_web(order_id: str, card: int, amount: int) -> None:
    checkout(order_id, card, amount)


def checkout_from_api(order_id: str, card: int, amount: int) -> None:
    charge(order_id, card, amount)


def refund(order_id: str, card: int, amount: int) -> None:
    raise PaymentDeclined(f"refund of {amount} to card {card:#x} declined for order {order_id}")
