"""A user's app that logs and then fails, all in one trace: sentry-sdk's logs (`enable_logs`,
`sentry_sdk.logger` and standard `logging` through the logging integration) and an exception.

Run as a separate process so the SDK's global state never leaks into the test run:
    python tests/apps/logging_app.py DSN
It prints the trace id it used.
"""

import logging
import sys

import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration


def charge(order_id: str) -> None:
    raise RuntimeError(f"card declined for order {order_id}")


def main(dsn: str) -> None:
    sentry_sdk.init(dsn=dsn, release="shop@2.0.0", environment="production", server_name="web-1", enable_logs=True, traces_sample_rate=1.0,
                    default_integrations=False, integrations=[LoggingIntegration(level=None, event_level=None,
                                                                                  sentry_logs_level=logging.INFO)])
    payments = logging.getLogger("shop.payments")
    payments.setLevel(logging.INFO)
    with sentry_sdk.start_transaction(op="task", name="checkout"):
        sentry_sdk.logger.info("checkout started for order {order_id}", order_id="ord-9")
        payments.warning("payment gateway slow: %d ms", 950)
        try:
            charge("ord-9")
        except RuntimeError as exc:
            payments.error("charging order %s failed", "ord-9")
            sentry_sdk.capture_exception(exc)
        print(sentry_sdk.get_current_scope().get_trace_context()["trace_id"])
    with sentry_sdk.start_transaction(op="task", name="refund"):  # a transaction of its own: a new trace
        sentry_sdk.logger.info("a line of another trace")
    sentry_sdk.flush(timeout=10)


if __name__ == "__main__":
    main(*sys.argv[1:])
