"""Release 1.1 of sampleapp.checkout: capture.py loads this file under the same module name.

The same bug, after a release that added lines above it and a log line next to it.
"""

import logging

from sampleapp.errors import PaymentDeclined

log = logging.getLogger(__name__)

MAX_AMOUNT = 10_000


def charge(order_id: str, card: int, amount: int) -> None:
    if amount > MAX_AMOUNT:
        log.warning("large amount %s", amount)
    raise PaymentDeclined(  # the failing statement was reformatted too
        f"card {card:#x} declined for order {order_id} (amount={amount})"
    )


def checkout(order_id: str, card: int, amount: int) -> None:
    total = amount
    charge(order_id, card, total)


def checkout_from_web(order_id: str, card: int, amount: int) -> None:
    checkout(order_id, card, amount)


def checkout_from_api(order_id: str, card: int, amount: int) -> None:
    charge(order_id, card, amount)


def refund(order_id: str, card: int, amount: int) -> None:
    raise PaymentDeclined(f"refund of {amount} to card {card:#x} declined for order {order_id}")
