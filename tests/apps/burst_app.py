"""A user's app that sends many errors with the real sentry-sdk and prints the ids it sent.

    python tests/apps/burst_app.py DSN COUNT      → prints {"sent": [event ids], "disabled": [...]}

It flushes every 20 errors, so the SDK's queue (100 by default) never drops one.
"""

import json
import sys

import sentry_sdk


def main(dsn: str, count: str) -> None:
    sentry_sdk.init(dsn=dsn, release="shop@2.0.0", default_integrations=False)
    sent = []
    for n in range(int(count)):
        try:
            raise RuntimeError(f"burst failure {n % 5}")
        except RuntimeError as exc:
            sent.append(sentry_sdk.capture_exception(exc))
        if n % 20 == 19:
            sentry_sdk.flush(timeout=10)
    sentry_sdk.flush(timeout=10)
    transport = sentry_sdk.get_client().transport
    print(json.dumps({"sent": sent, "disabled": sorted(str(c) for c in transport._disabled_until)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
