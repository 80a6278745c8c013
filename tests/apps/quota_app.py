"""A user's app that sends errors one at a time and reports what its SDK then holds back.

    python tests/apps/quota_app.py DSN COUNT      → prints {"disabled": [categories the SDK rate-limits]}
"""

import json
import sys

import sentry_sdk


def main(dsn: str, count: str) -> None:
    sentry_sdk.init(dsn=dsn, release="shop@1.4.0", default_integrations=False)
    for n in range(int(count)):
        try:
            raise RuntimeError(f"failure {n}")
        except RuntimeError as exc:
            sentry_sdk.capture_exception(exc)
        sentry_sdk.flush(timeout=10)
    transport = sentry_sdk.get_client().transport
    print(json.dumps({"disabled": sorted(str(c) for c in transport._disabled_until)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
