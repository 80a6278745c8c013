"""A user's app that tags its errors: the real sentry-sdk with a server name, users of two
segments, a custom tag and a request with a browser's User-Agent.

Run as a separate process so the SDK's global state never leaks into the test run:
    python tests/apps/tagged_app.py DSN
"""

import sys

import sentry_sdk

CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0.0.0 Safari/537.36")


def charge(order_id: str) -> None:
    raise ConnectionError(f"payment gateway reset while charging {order_id}")


def with_request(event, hint):
    event["request"] = {"url": "https://shop.example.com/checkout/?step=pay", "method": "POST", "headers": {"User-Agent": CHROME}}
    return event


def main(dsn: str) -> None:
    sentry_sdk.init(dsn=dsn, release="shop@2.0.0", server_name="web-3", default_integrations=False, before_send=with_request)
    for i, segment in enumerate(["paid", "paid", "paid", "free"]):
        with sentry_sdk.new_scope() as scope:
            scope.set_user({"id": f"u-{i}", "segment": segment})
            scope.set_tag("tenant", "acme" if i < 2 else "globex")
            try:
                charge(f"ord-{i}")
            except ConnectionError as exc:
                sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main(*sys.argv[1:])
