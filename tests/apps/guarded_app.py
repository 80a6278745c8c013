"""A user's app with a bad flag: every user's flags come from Switchyard over OFREP (the real
OpenFeature client), and each error goes out through the real sentry-sdk with the user and the
flags the app evaluated. Users who get `bad-checkout` = true fail often, the others rarely.

    python tests/apps/guarded_app.py BASE_URL DSN SDK_KEY USERS SEED
"""

import random
import sys

import sentry_sdk
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from sentry_sdk.feature_flags import add_feature_flag

FLAGS = ["bad-checkout", "noise-a", "noise-b", "noise-c", "noise-d"]


def apply_discount(user: str) -> None:
    raise TypeError(f"unsupported operand for discount of {user}")


def render_invoice(user: str) -> None:
    raise ValueError(f"no invoice template for {user}")


def main(base_url: str, dsn: str, sdk_key: str, users: str, seed: str) -> None:
    api.set_provider(OFREPProvider(base_url, headers_factory=lambda: {"Authorization": f"Bearer {sdk_key}"}, timeout=5))
    client = api.get_client()
    sentry_sdk.init(dsn=dsn, release="shop@2.0.0", environment="production", default_integrations=False)
    rng = random.Random(int(seed))
    for n in range(int(users)):
        user = f"user-{n}"
        flags = {key: client.get_boolean_value(key, False, EvaluationContext(targeting_key=user)) for key in FLAGS}
        failing = apply_discount if rng.random() < (0.5 if flags["bad-checkout"] else 0.02) else None
        if failing is None and rng.random() < 0.03:
            failing = render_invoice
        if failing is None:
            continue
        with sentry_sdk.isolation_scope():
            sentry_sdk.set_user({"id": user})
            for key, value in flags.items():
                add_feature_flag(key, value)
            try:
                failing(user)
            except Exception as exc:  # noqa: BLE001  (the app reports whatever it raised)
                sentry_sdk.capture_exception(exc)
    sentry_sdk.flush(timeout=30)


if __name__ == "__main__":
    main(*sys.argv[1:])
