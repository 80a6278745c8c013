"""A user's app: the real sentry-sdk, a DSN, feature flags and an exception.

Run as a separate process so the SDK's global state never leaks into the test run:
    python tests/apps/shop_app.py DSN [release] [environment]
"""

import sys

import sentry_sdk
from sentry_sdk.feature_flags import add_feature_flag


def price(order_id: str, amount: int) -> int:
    raise ValueError(f"bad price {amount} for order {order_id}")


def checkout(order_id: str) -> int:
    return price(order_id, 150)


def main(dsn: str, release: str = "shop@1.4.0", environment: str = "production") -> None:
    sentry_sdk.init(dsn=dsn, release=release, environment=environment, default_integrations=False)
    sentry_sdk.set_user({"id": "u-17", "email": "ann@example.com"})
    add_feature_flag("new-checkout", True)
    add_feature_flag("dark-mode", False)
    for order in ("ord-1", "ord-2"):
        try:
            checkout(order)
        except ValueError as exc:
            sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main(*sys.argv[1:])
